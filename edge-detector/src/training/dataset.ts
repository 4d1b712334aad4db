/**
 * A loaded data set, column by column: readings in the units of a Telemetry message (°C, rpm, Nm, min,
 * %), which machine and when, and, when the file has them, labels and failure modes.
 */
import { SENSOR_FIELDS, type SensorField } from '@factory-edge/shared/contract'
import { FAILURE_MODES, type FailureMode } from '@factory-edge/shared/data'

export { FAILURE_MODES, FAILURE_MODE_NAMES, type FailureMode } from '@factory-edge/shared/data'

export interface Dataset {
  /** File (or description) the rows came from. */
  source: string
  rows: number
  readings: Record<SensorField, Float64Array>
  /** Index into `machines` per row. */
  machine: Int32Array
  machines: string[]
  /** Unix ms per row; one second per row when the file has no time column. */
  ts: Float64Array
  /** 1 for a failure, 0 for normal; null when the file has no label column. */
  label: Uint8Array | null
  /** Bit i set when failure mode FAILURE_MODES[i] occurred (0 when the file names no modes). */
  modes: Uint8Array
  /** True when humidity was not in the file and was synthesised. */
  syntheticHumidity: boolean
  /** Rows dropped by `--skip-bad-rows`, with the first few reasons. */
  skipped: { count: number, examples: string[] }
}

/** How many rows have each failure mode; used by reports and evaluation. */
export function countModes (modes: Uint8Array): Record<FailureMode, number> {
  const counts = Object.fromEntries(FAILURE_MODES.map((m) => [m, 0])) as Record<FailureMode, number>
  for (const bits of modes) {
    if (bits === 0) continue
    for (let i = 0; i < FAILURE_MODES.length; i++) if ((bits & (1 << i)) !== 0) counts[FAILURE_MODES[i]]++
  }
  return counts
}

/** Appends rows into growable typed arrays, then hands out a {@link Dataset}. */
export class DatasetBuilder {
  private capacity = 1024
  private n = 0
  private readonly cols = Object.fromEntries(SENSOR_FIELDS.map((f) => [f, new Float64Array(1024)])) as Record<SensorField, Float64Array>
  private machine = new Int32Array(1024)
  private ts = new Float64Array(1024)
  private label = new Uint8Array(1024)
  private modes = new Uint8Array(1024)
  private readonly machineIndex = new Map<string, number>()
  private readonly machines: string[] = []

  /** Index of a machine id, added on first sight. */
  machineId (id: string): number {
    let index = this.machineIndex.get(id)
    if (index === undefined) {
      index = this.machines.length
      this.machines.push(id)
      this.machineIndex.set(id, index)
    }
    return index
  }

  /** Appends one row; `values` holds the reading fields in SENSOR_FIELDS order. */
  push (values: ArrayLike<number>, machine: number, ts: number, label: number, modes: number): void {
    if (this.n === this.capacity) this.grow()
    const i = this.n++
    for (let f = 0; f < SENSOR_FIELDS.length; f++) this.cols[SENSOR_FIELDS[f]][i] = values[f]
    this.machine[i] = machine
    this.ts[i] = ts
    this.label[i] = label
    this.modes[i] = modes
  }

  get rows (): number {
    return this.n
  }

  build (meta: { source: string, hasLabel: boolean, syntheticHumidity: boolean, skipped: Dataset['skipped'] }): Dataset {
    const n = this.n
    return {
      source: meta.source,
      rows: n,
      readings: Object.fromEntries(SENSOR_FIELDS.map((f) => [f, this.cols[f].slice(0, n)])) as Record<SensorField, Float64Array>,
      machine: this.machine.slice(0, n),
      machines: [...this.machines],
      ts: this.ts.slice(0, n),
      label: meta.hasLabel ? this.label.slice(0, n) : null,
      modes: this.modes.slice(0, n),
      syntheticHumidity: meta.syntheticHumidity,
      skipped: meta.skipped
    }
  }

  private grow (): void {
    this.capacity *= 2
    for (const f of SENSOR_FIELDS) {
      const next = new Float64Array(this.capacity)
      next.set(this.cols[f])
      this.cols[f] = next
    }
    this.machine = enlarge(this.machine, new Int32Array(this.capacity))
    this.ts = enlarge(this.ts, new Float64Array(this.capacity))
    this.label = enlarge(this.label, new Uint8Array(this.capacity))
    this.modes = enlarge(this.modes, new Uint8Array(this.capacity))
  }
}

function enlarge<T extends Int32Array | Float64Array | Uint8Array> (from: T, to: T): T {
  to.set(from)
  return to
}

import { SENSOR_FIELDS, SENSOR_SCHEMAS, type Telemetry } from '@factory-edge/shared/contract'
import type { DetectorPipeline, PipelineObserver } from '../pipeline/pipeline.js'

/**
 * A machine's state as the web view shows it. 'silent' means no reading for a while (stopped, offline or
 * cut off). A 'learning' state (a machine still learning its own normal) is meant to join this list.
 */
export const VIEW_STATES = ['normal', 'anomalous', 'sensor_fault', 'silent'] as const
export type ViewState = typeof VIEW_STATES[number]
/** Index of each state in {@link VIEW_STATES}: the code sent on the event stream and kept per sample. */
export const STATE_CODE = { normal: 0, anomalous: 1, sensor_fault: 2, silent: 3 } as const satisfies Record<ViewState, number>

export interface HistoryOptions {
  /** Samples kept per machine. */
  samples: number
  /** Shortest time between two samples of a machine (reading time, ms, at least 1000); readings in between fold into the last. */
  sampleEveryMs: number
  /** A machine without a reading for this long (wall-clock ms) is shown as silent. */
  silentMs: number
}

/**
 * Signals are kept as 16-bit steps of their contract's range (e.g. 0.007 °C, 0.5 rpm): plenty for a
 * chart, and a quarter of the memory of doubles.
 */
const SIGNAL_RANGES = SENSOR_FIELDS.map((f) => {
  const { minimum, maximum } = SENSOR_SCHEMAS[f]
  if (minimum === undefined || maximum === undefined) throw new Error(`the contract gives ${f} no range`)
  return { min: minimum, step: (maximum - minimum) / 65535 }
})
const SIGNAL_MIN = SIGNAL_RANGES.map((r) => r.min)
const SIGNAL_STEP = SIGNAL_RANGES.map((r) => r.step)

/** Bytes of one sample: reading time (s), score, state and the quantised signals. */
export const SAMPLE_BYTES = 4 + 4 + 1 + 2 * SENSOR_FIELDS.length

/** A machine's recent samples as plain arrays, oldest first. */
export interface HistorySeries {
  ts: number[]
  score: number[]
  state: number[]
  signals: Record<string, number[]>
}

/**
 * The web view's memory of each tracked machine: a bounded ring of samples per pipeline slot, fed from
 * what the pipeline already computed (its score, alert and sensor states), and the wall-clock time of
 * its last reading. All rings live in a few flat typed arrays indexed by slot × samples (no object per
 * machine; pages of slots never used are never touched), so the hot path only writes numbers; the wall
 * clock is the coarse one that {@link tick} sets, so that a reading costs no clock read.
 */
export class MachineHistory implements PipelineObserver {
  readonly lastSeen: Float64Array
  /** Reading time of each sample in whole seconds (samples are at least a second apart). */
  private readonly ts: Uint32Array
  /** Highest score of the readings folded into each sample. */
  private readonly score: Float32Array
  /** Worst state code of those readings. */
  private readonly state: Uint8Array
  /** Signals of each sample's first reading, SENSOR_FIELDS.length per sample. */
  private readonly signals: Uint16Array
  private readonly head: Uint32Array
  private readonly count: Uint32Array
  private readonly samples: number
  private pipeline: DetectorPipeline | undefined
  private now = Date.now()

  constructor (capacity: number, readonly options: HistoryOptions) {
    const n = this.samples = options.samples
    this.lastSeen = new Float64Array(capacity)
    this.ts = new Uint32Array(capacity * n)
    this.score = new Float32Array(capacity * n)
    this.state = new Uint8Array(capacity * n)
    this.signals = new Uint16Array(capacity * n * SENSOR_FIELDS.length)
    this.head = new Uint32Array(capacity)
    this.count = new Uint32Array(capacity)
  }

  /** The pipeline whose states are read (it is built with this history as its observer). */
  attach (pipeline: DetectorPipeline): void {
    this.pipeline = pipeline
  }

  /** Sets the coarse wall clock. */
  tick (now: number): void {
    this.now = now
  }

  reset (slot: number): void {
    this.head[slot] = 0
    this.count[slot] = 0
    this.lastSeen[slot] = this.now
  }

  scored (slot: number, r: Telemetry, score: number): void {
    this.lastSeen[slot] = this.now
    const n = this.samples
    const base = slot * n
    const state = this.scoredState(slot)
    if (this.count[slot] > 0) {
      const i = base + (this.head[slot] + n - 1) % n
      if (r.ts < this.ts[i] * 1000 + this.options.sampleEveryMs) {
        if (score > this.score[i]) this.score[i] = score
        if (state > this.state[i]) this.state[i] = state
        return
      }
    }
    const i = base + this.head[slot]
    this.ts[i] = Math.floor(r.ts / 1000)
    this.score[i] = score
    this.state[i] = state
    const at = i * SENSOR_FIELDS.length
    // Values are within the contract's range (decoding checked it), so the steps fit 16 bits.
    for (let f = 0; f < SENSOR_FIELDS.length; f++) this.signals[at + f] = Math.round((r[SENSOR_FIELDS[f]] - SIGNAL_MIN[f]) / SIGNAL_STEP[f])
    this.head[slot] = (this.head[slot] + 1) % n
    if (this.count[slot] < n) this.count[slot]++
  }

  /** State code of a slot from the pipeline's alert and sensor states, silence aside. */
  private scoredState (slot: number): number {
    const p = this.pipeline
    if (p === undefined) return STATE_CODE.normal
    if (p.sensors.isRaised(slot)) return STATE_CODE.sensor_fault
    return p.alerts.isRaised(slot) ? STATE_CODE.anomalous : STATE_CODE.normal
  }

  /** State code of a slot as shown now. */
  stateCode (slot: number): number {
    if (this.now - this.lastSeen[slot] > this.options.silentMs) return STATE_CODE.silent
    return this.scoredState(slot)
  }

  /** Array indices of a slot's last `limit` samples, oldest first. */
  private indices (slot: number, limit = this.samples): number[] {
    const n = this.samples
    const count = this.count[slot]
    const out: number[] = []
    for (let k = count - Math.min(limit, count); k < count; k++) out.push(slot * n + (this.head[slot] + n - count + k) % n)
    return out
  }

  /** The last `limit` sample scores of a slot, oldest first. */
  scores (slot: number, limit: number): number[] {
    return this.indices(slot, limit).map((i) => this.score[i])
  }

  /** Every sample of a slot, oldest first. */
  series (slot: number): HistorySeries {
    const signals: Record<string, number[]> = {}
    for (const f of SENSOR_FIELDS) signals[f] = []
    const out: HistorySeries = { ts: [], score: [], state: [], signals }
    for (const i of this.indices(slot)) {
      out.ts.push(this.ts[i] * 1000)
      out.score.push(this.score[i])
      out.state.push(this.state[i])
      SENSOR_FIELDS.forEach((f, k) => signals[f].push(SIGNAL_MIN[k] + this.signals[i * SENSOR_FIELDS.length + k] * SIGNAL_STEP[k]))
    }
    return out
  }
}

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

/** One machine's ring of samples: reading time, highest score, worst state and the signals of its first reading. */
class SampleRing {
  /** Reading time in whole seconds (samples are at least a second apart). */
  readonly ts: Uint32Array
  readonly score: Float32Array
  readonly state: Uint8Array
  readonly signals: Uint16Array
  head = 0
  count = 0

  constructor (readonly capacity: number) {
    this.ts = new Uint32Array(capacity)
    this.score = new Float32Array(capacity)
    this.state = new Uint8Array(capacity)
    this.signals = new Uint16Array(capacity * SENSOR_FIELDS.length)
  }

  /** Index of the newest sample (count must be > 0). */
  get newest (): number {
    return (this.head + this.capacity - 1) % this.capacity
  }

  /** Ring indices oldest first, at most the last `limit`. */
  indices (limit = this.capacity): number[] {
    const n = Math.min(limit, this.count)
    const out: number[] = []
    for (let i = this.count - n; i < this.count; i++) out.push((this.head + this.capacity - this.count + i) % this.capacity)
    return out
  }
}

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
 * its last reading. The hot path only writes into typed arrays; the wall clock is the coarse one that
 * {@link tick} sets, so that a reading costs no clock read.
 */
export class MachineHistory implements PipelineObserver {
  readonly lastSeen: Float64Array
  private readonly rings: Array<SampleRing | undefined>
  private pipeline: DetectorPipeline | undefined
  private now = Date.now()

  constructor (capacity: number, readonly options: HistoryOptions) {
    this.lastSeen = new Float64Array(capacity)
    this.rings = new Array(capacity).fill(undefined)
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
    const ring = this.rings[slot] ??= new SampleRing(this.options.samples)
    ring.head = 0
    ring.count = 0
    this.lastSeen[slot] = this.now
  }

  scored (slot: number, r: Telemetry, score: number): void {
    this.lastSeen[slot] = this.now
    const ring = this.rings[slot]
    if (ring === undefined) return
    const state = this.scoredState(slot)
    if (ring.count > 0) {
      const i = ring.newest
      if (r.ts < ring.ts[i] * 1000 + this.options.sampleEveryMs) {
        if (score > ring.score[i]) ring.score[i] = score
        if (state > ring.state[i]) ring.state[i] = state
        return
      }
    }
    const i = ring.head
    ring.ts[i] = Math.floor(r.ts / 1000)
    ring.score[i] = score
    ring.state[i] = state
    const base = i * SENSOR_FIELDS.length
    // Uint16Array stores clamp-free: values are within the contract's range, which decoding checked.
    for (let f = 0; f < SENSOR_FIELDS.length; f++) ring.signals[base + f] = Math.round((r[SENSOR_FIELDS[f]] - SIGNAL_MIN[f]) / SIGNAL_STEP[f])
    ring.head = (i + 1) % ring.capacity
    if (ring.count < ring.capacity) ring.count++
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

  /** The last `limit` sample scores of a slot, oldest first. */
  scores (slot: number, limit: number): number[] {
    const ring = this.rings[slot]
    if (ring === undefined) return []
    return ring.indices(limit).map((i) => ring.score[i])
  }

  /** Every sample of a slot, oldest first. */
  series (slot: number): HistorySeries {
    const ring = this.rings[slot]
    const signals: Record<string, number[]> = {}
    for (const f of SENSOR_FIELDS) signals[f] = []
    const out: HistorySeries = { ts: [], score: [], state: [], signals }
    if (ring === undefined) return out
    for (const i of ring.indices()) {
      out.ts.push(ring.ts[i] * 1000)
      out.score.push(ring.score[i])
      out.state.push(ring.state[i])
      SENSOR_FIELDS.forEach((f, k) => signals[f].push(SIGNAL_MIN[k] + ring.signals[i * SENSOR_FIELDS.length + k] * SIGNAL_STEP[k]))
    }
    return out
  }
}

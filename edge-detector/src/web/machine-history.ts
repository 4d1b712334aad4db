import type { DetectorPipeline, PipelineObserver, ProfileLane } from '../pipeline/pipeline.js'

/**
 * A machine's state as the web view shows it. 'offline' means its publisher said so (its retained status,
 * set by its MQTT last will when it disappears) and no reading came since; 'silent' no reading for a
 * while without such word (stopped, cut off, or a publisher without a status); 'learning' a machine still
 * learning its own normal (its profile learns per machine).
 */
export const VIEW_STATES = ['normal', 'anomalous', 'sensor_fault', 'silent', 'learning', 'offline'] as const
export type ViewState = typeof VIEW_STATES[number]
/** Index of each state in {@link VIEW_STATES}: the code sent on the event stream and kept per sample. */
export const STATE_CODE = { normal: 0, anomalous: 1, sensor_fault: 2, silent: 3, learning: 4, offline: 5 } as const satisfies Record<ViewState, number>

export interface HistoryOptions {
  /** Samples kept per machine. */
  samples: number
  /** Shortest time between two samples of a machine (reading time, ms, at least 1000); readings in between fold into the last. */
  sampleEveryMs: number
  /** A machine without a reading for this long (wall-clock ms) is shown as silent. */
  silentMs: number
}

/**
 * Signals are kept as 16-bit steps of their profile's physical range (e.g. 0.007 °C, 0.5 rpm for ai4i):
 * plenty for a chart, and a quarter of the memory of doubles. A missing optional signal is kept as
 * {@link MISSING}.
 */
const STEPS = 65534
const MISSING = 65535

/** What the history needs of a profile: its raw signals' names and ranges, computed once per lane. */
interface SignalScale {
  names: readonly string[]
  min: Float64Array
  step: Float64Array
}

function scaleOf (lane: ProfileLane): SignalScale {
  const signals = lane.profile.definition.signals
  return {
    names: signals.map((s) => s.name),
    min: Float64Array.from(signals, (s) => s.min),
    step: Float64Array.from(signals, (s) => (s.max - s.min) / STEPS)
  }
}

/** Bytes of one sample of a machine with `signals` raw signals: reading time (s), score, alert score, state and the quantised signals. */
export function sampleBytes (signals: number): number {
  return 4 + 4 + 4 + 1 + 2 * signals
}

/** A machine's recent samples as plain arrays, oldest first. */
export interface HistorySeries {
  ts: number[]
  /** The model's score; null while the machine learned (no score yet). */
  score: Array<number | null>
  /** What the alert rule held against the threshold (AlertTracker.ruleScore); null while learning or warming up. */
  alertScore: Array<number | null>
  state: number[]
  /** null where an optional signal was missing. */
  signals: Record<string, Array<number | null>>
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
  /** Highest alert score (what the alert rule compared) of those readings. */
  private readonly alertScore: Float32Array
  /** Worst state code of those readings. */
  private readonly state: Uint8Array
  /** Signals of each sample's first reading, {@link width} per sample. */
  private readonly signals: Uint16Array
  /** Signals kept per sample: the most raw signals of any profile. */
  private readonly width: number
  /** Each slot's profile scale (set when the slot's machine is tracked). */
  private readonly scales: Array<SignalScale | undefined>
  private readonly scaleOfLane = new Map<ProfileLane, SignalScale>()
  private readonly head: Uint32Array
  private readonly count: Uint32Array
  /** 1 while the machine's publisher has said it is offline and no reading came since. */
  private readonly offline: Uint8Array
  private readonly samples: number
  private pipeline: DetectorPipeline | undefined
  private now = Date.now()

  constructor (capacity: number, readonly options: HistoryOptions, width: number) {
    const n = this.samples = options.samples
    this.width = width
    this.scales = new Array(capacity).fill(undefined)
    this.lastSeen = new Float64Array(capacity)
    this.ts = new Uint32Array(capacity * n)
    this.score = new Float32Array(capacity * n)
    this.alertScore = new Float32Array(capacity * n)
    this.state = new Uint8Array(capacity * n)
    this.signals = new Uint16Array(capacity * n * width)
    this.head = new Uint32Array(capacity)
    this.count = new Uint32Array(capacity)
    this.offline = new Uint8Array(capacity)
  }

  /** The pipeline whose states are read (it is built with this history as its observer). */
  attach (pipeline: DetectorPipeline): void {
    this.pipeline = pipeline
  }

  /** Sets the coarse wall clock. */
  tick (now: number): void {
    this.now = now
  }

  reset (slot: number, lane: ProfileLane): void {
    let scale = this.scaleOfLane.get(lane)
    if (scale === undefined) this.scaleOfLane.set(lane, scale = scaleOf(lane))
    this.scales[slot] = scale
    this.head[slot] = 0
    this.count[slot] = 0
    this.offline[slot] = 0
    this.lastSeen[slot] = this.now
  }

  /** The machine's publisher said it is online or offline (its retained status); a reading says online too. */
  setOnline (slot: number, online: boolean): void {
    this.offline[slot] = online ? 0 : 1
  }

  scored (slot: number, ts: number, values: Float64Array, score: number): void {
    this.lastSeen[slot] = this.now
    this.offline[slot] = 0
    const n = this.samples
    const base = slot * n
    const state = this.scoredState(slot)
    const alertScore = this.pipeline?.alerts.ruleScore[slot] ?? NaN
    if (this.count[slot] > 0) {
      const i = base + (this.head[slot] + n - 1) % n
      if (ts < this.ts[i] * 1000 + this.options.sampleEveryMs) {
        this.score[i] = higher(this.score[i], score)
        this.alertScore[i] = higher(this.alertScore[i], alertScore)
        if (state > this.state[i]) this.state[i] = state
        return
      }
    }
    const i = base + this.head[slot]
    this.ts[i] = Math.floor(ts / 1000)
    this.score[i] = score
    this.alertScore[i] = alertScore
    this.state[i] = state
    const at = i * this.width
    const scale = this.scales[slot] as SignalScale
    // Values are within the profile's range (validation checked it), so the steps fit 16 bits.
    for (let f = 0; f < scale.names.length; f++) {
      const v = values[f]
      this.signals[at + f] = Number.isNaN(v) ? MISSING : Math.round((v - scale.min[f]) / scale.step[f])
    }
    this.head[slot] = (this.head[slot] + 1) % n
    if (this.count[slot] < n) this.count[slot]++
  }

  /** State code of a slot from the pipeline's alert and sensor states, silence aside. */
  private scoredState (slot: number): number {
    const p = this.pipeline
    if (p === undefined) return STATE_CODE.normal
    if (p.learning.isLearning(slot)) return STATE_CODE.learning
    if (p.sensors.isRaised(slot)) return STATE_CODE.sensor_fault
    return p.alerts.isRaised(slot) ? STATE_CODE.anomalous : STATE_CODE.normal
  }

  /** State code of a slot as shown now. */
  stateCode (slot: number): number {
    if (this.offline[slot] === 1) return STATE_CODE.offline
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

  /** The last `limit` sample alert scores of a slot (NaN while it learned or warmed up), oldest first. */
  alertScores (slot: number, limit: number): number[] {
    return this.indices(slot, limit).map((i) => this.alertScore[i])
  }

  /** Every sample of a slot, oldest first. */
  series (slot: number): HistorySeries {
    const signals: Record<string, Array<number | null>> = {}
    const scale = this.scales[slot]
    const names = scale?.names ?? []
    for (const f of names) signals[f] = []
    const out: HistorySeries = { ts: [], score: [], alertScore: [], state: [], signals }
    for (const i of this.indices(slot)) {
      out.ts.push(this.ts[i] * 1000)
      // NaN (a learning machine has no score yet) is null in JSON anyway; said so explicitly.
      out.score.push(Number.isNaN(this.score[i]) ? null : this.score[i])
      out.alertScore.push(Number.isNaN(this.alertScore[i]) ? null : this.alertScore[i])
      out.state.push(this.state[i])
      names.forEach((f, k) => {
        const q = this.signals[i * this.width + k]
        signals[f].push(q === MISSING || scale === undefined ? null : scale.min[k] + q * scale.step[k])
      })
    }
    return out
  }
}

/** The higher of a sample's value and a new one; a number beats NaN (a sample that began while learning). */
function higher (kept: number, value: number): number {
  return value > kept || Number.isNaN(kept) ? value : kept
}

import { DETECTOR_DEFAULTS } from '../defaults.js'

/** When a machine's alert is raised and cleared. */
export interface AlertPolicy {
  /** Raise after `k` of the last `m` scores are over the threshold. */
  k: number
  /** Scores considered, at most 32. */
  m: number
  /**
   * Clear only when fewer than `k` of the last `m` scores are over (threshold - hysteresis): a score
   * hovering just under the threshold keeps the alert up instead of making it flap.
   */
  hysteresis: number
  /** Minimum time between the clearing of an alert and the next raise for the same machine, in ms. */
  cooldownMs: number
  /** A raise is critical when its score is at least threshold + criticalMargin, otherwise a warning. */
  criticalMargin: number
  /**
   * Per-machine calibration, off when 0: the weight of a new score in the machine's own baseline (an
   * exponential average of its scores). When on, the alert rules above apply to the machine's smoothed
   * score minus its baseline, measured against `baselineMargin` instead of the model's threshold.
   */
  baselineAlpha: number
  /** Scores averaged (exponentially, over about this many) before they are compared with the baseline. */
  baselineSmoothing: number
  /** How far above its own baseline a machine's smoothed score must be to count as over; a profile may set its own (AlertTracker.setMargin). */
  baselineMargin: number
  /** Readings a machine is only learned from, before its baseline may raise. */
  baselineWarmup: number
}

export const DEFAULT_ALERT_POLICY: Readonly<AlertPolicy> = DETECTOR_DEFAULTS.alert

/**
 * While a machine is over (or alerting), its baseline still learns, at this share of the usual rate: a
 * failure (tens of readings) barely moves it, but a level that persists for many hundreds of readings
 * (a machine whose normal is above the model's, a lasting change after maintenance) becomes the machine's
 * normal instead of an alert that never clears.
 */
const STANDING_LEARNING_SHARE = 0.1

/** What one score did to a machine's alert. */
export type AlertChange = 'unchanged' | 'raised' | 'cleared'

/** A machine's alert state, as stored per slot (a typed array holds numbers, not names). */
export const AlertState = { normal: 0, raised: 1 } as const
export type AlertState = typeof AlertState[keyof typeof AlertState]

/** Names of the severity codes stored per slot. */
export const SEVERITIES = ['warning', 'critical'] as const
export type Severity = typeof SEVERITIES[number]

/** Checks a policy and returns a clean copy; throws a RangeError naming the bad setting. */
export function validateAlertPolicy (policy: Partial<AlertPolicy>): AlertPolicy {
  const p = { ...DEFAULT_ALERT_POLICY, ...policy }
  if (!Number.isInteger(p.m) || p.m < 1 || p.m > 32) throw new RangeError(`alert m must be an integer from 1 to 32, got ${p.m}`)
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > p.m) throw new RangeError(`alert k must be an integer from 1 to m (${p.m}), got ${p.k}`)
  if (!(p.hysteresis >= 0 && p.hysteresis < 1)) throw new RangeError(`alert hysteresis must be in [0, 1), got ${p.hysteresis}`)
  if (!(p.cooldownMs >= 0) || !Number.isFinite(p.cooldownMs)) throw new RangeError(`alert cooldown must be a non-negative number of ms, got ${p.cooldownMs}`)
  if (!(p.criticalMargin >= 0) || !Number.isFinite(p.criticalMargin)) throw new RangeError(`critical margin must be a non-negative number, got ${p.criticalMargin}`)
  if (!(p.baselineAlpha >= 0 && p.baselineAlpha < 1)) throw new RangeError(`baseline alpha must be in [0, 1), got ${p.baselineAlpha}`)
  if (!(p.baselineSmoothing >= 1) || !Number.isFinite(p.baselineSmoothing)) throw new RangeError(`baseline smoothing must be a number of scores >= 1, got ${p.baselineSmoothing}`)
  if (!(p.baselineMargin > 0) || !Number.isFinite(p.baselineMargin)) throw new RangeError(`baseline margin must be a positive number, got ${p.baselineMargin}`)
  if (!Number.isInteger(p.baselineWarmup) || p.baselineWarmup < 0) throw new RangeError(`baseline warm-up must be a whole number of readings, got ${p.baselineWarmup}`)
  return p
}

/** Number of set bits in a 32-bit integer. */
export function popcount (x: number): number {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/**
 * The k-of-m alert state machine and the alert state of every machine slot, kept together: typed arrays
 * indexed by the slot of the machine table, so that an update allocates nothing.
 */
export class AlertTracker {
  readonly policy: AlertPolicy
  /** Bit i set: the i-th most recent score was over the threshold. */
  readonly overMask: Uint32Array
  /** Bit i set: the i-th most recent score was over the clearing threshold (threshold - hysteresis). */
  readonly hotMask: Uint32Array
  /** Scores recorded, capped at 32. */
  readonly scored: Uint8Array
  /** {@link AlertState} per slot. */
  readonly state: Uint8Array
  /** Index into {@link SEVERITIES}: the severity of the current or last episode. */
  readonly severity: Uint8Array
  readonly lastRaiseTs: Float64Array
  readonly lastClearTs: Float64Array
  readonly lastScore: Float64Array
  /**
   * The score the rules last held against the threshold: the model's score, or with calibration the
   * threshold plus how far the machine's smoothed score is above its own normal, less the margin. NaN
   * while a calibrated machine warms up (it cannot raise yet). What a view shows against the threshold.
   */
  readonly ruleScore: Float64Array
  /** Per-machine calibration (when on): smoothed score, own baseline, readings seen. */
  readonly smoothed: Float64Array
  readonly baseline: Float64Array
  readonly seen: Uint32Array
  /** Per slot: readings learned from before the machine may raise, besides the policy's baselineWarmup. */
  readonly warmup: Uint32Array
  /** Per slot: the calibration margin, the policy's unless the machine's profile sets its own. */
  readonly margin: Float64Array
  /** True when per-machine calibration is on (baselineAlpha > 0). */
  readonly calibrated: boolean
  private readonly mask: number
  private readonly smoothingWeight: number

  constructor (capacity: number, policy: Partial<AlertPolicy> = {}) {
    this.policy = validateAlertPolicy(policy)
    this.mask = this.policy.m === 32 ? 0xffffffff : ((1 << this.policy.m) >>> 0) - 1
    this.overMask = new Uint32Array(capacity)
    this.hotMask = new Uint32Array(capacity)
    this.scored = new Uint8Array(capacity)
    this.state = new Uint8Array(capacity)
    this.severity = new Uint8Array(capacity)
    this.lastRaiseTs = new Float64Array(capacity)
    this.lastClearTs = new Float64Array(capacity)
    this.lastScore = new Float64Array(capacity)
    this.ruleScore = new Float64Array(capacity).fill(NaN)
    const calibrated = this.calibrated = this.policy.baselineAlpha > 0
    this.smoothed = new Float64Array(calibrated ? capacity : 0)
    this.baseline = new Float64Array(calibrated ? capacity : 0)
    this.seen = new Uint32Array(calibrated ? capacity : 0)
    this.warmup = new Uint32Array(calibrated ? capacity : 0)
    this.margin = new Float64Array(calibrated ? capacity : 0).fill(this.policy.baselineMargin)
    this.smoothingWeight = 2 / (this.policy.baselineSmoothing + 1)
  }

  /**
   * Forgets a slot's history (the slot now holds another machine, or a new model scores it); with
   * calibration, the machine then learns its own baseline from `warmup` readings before it may raise.
   */
  reset (slot: number, warmup = 0): void {
    this.overMask[slot] = 0
    this.hotMask[slot] = 0
    this.scored[slot] = 0
    this.state[slot] = AlertState.normal
    this.severity[slot] = 0
    this.lastRaiseTs[slot] = 0
    this.lastClearTs[slot] = 0
    this.lastScore[slot] = 0
    this.ruleScore[slot] = NaN
    if (this.seen.length > 0) {
      this.seen[slot] = 0
      this.warmup[slot] = warmup
    }
  }

  /**
   * Sets the calibration margin of the machine in `slot` (its profile's `alert.margin`); kept through
   * {@link reset}, since it belongs to the machine's profile rather than to its history.
   */
  setMargin (slot: number, margin: number): void {
    if (this.margin.length > 0) this.margin[slot] = margin
  }

  /** The calibration margin of the machine in `slot`. */
  marginOf (slot: number): number {
    return this.margin.length > 0 ? this.margin[slot] : this.policy.baselineMargin
  }

  /** Records one score of the machine in `slot` at reading time `ts`. */
  update (slot: number, rawScore: number, threshold: number, ts: number): AlertChange {
    const p = this.policy
    this.lastScore[slot] = rawScore
    const score = this.calibrated ? this.calibratedScore(slot, rawScore, threshold) : rawScore
    this.ruleScore[slot] = score === -Infinity ? NaN : score
    this.overMask[slot] = ((this.overMask[slot] << 1) | (score > threshold ? 1 : 0)) >>> 0
    this.hotMask[slot] = ((this.hotMask[slot] << 1) | (score > threshold - p.hysteresis ? 1 : 0)) >>> 0
    if (this.scored[slot] < 32) this.scored[slot]++
    if (this.state[slot] === AlertState.normal) {
      if (popcount(this.overMask[slot] & this.mask) < p.k) return 'unchanged'
      if (this.lastClearTs[slot] > 0 && ts - this.lastClearTs[slot] < p.cooldownMs) return 'unchanged'
      this.state[slot] = AlertState.raised
      this.severity[slot] = score >= threshold + p.criticalMargin ? 1 : 0
      this.lastRaiseTs[slot] = ts
      return 'raised'
    }
    if (popcount(this.hotMask[slot] & this.mask) >= p.k) return 'unchanged'
    this.state[slot] = AlertState.normal
    this.lastClearTs[slot] = ts
    return 'cleared'
  }

  /**
   * The score the rules see with per-machine calibration: the model's threshold plus how far the
   * machine's smoothed score is above its own baseline, less the margin (so "over the threshold" means
   * "more than the margin above its own normal"). The baseline learns at full rate only from scores that
   * are not over (and at STANDING_LEARNING_SHARE of it otherwise), so a failure does not become the
   * machine's normal. A machine starts from the model's view of
   * normal (baseline = threshold − margin: at first its smoothed score is held against the model's
   * threshold), not from its first score, so that a machine first seen while failing (a detector
   * restarted in the middle of a failure) still raises.
   */
  private calibratedScore (slot: number, score: number, threshold: number): number {
    const p = this.policy
    const margin = this.margin[slot]
    const n = this.seen[slot]
    if (n < 0xffffffff) this.seen[slot] = n + 1
    if (n === 0) this.smoothed[slot] = this.baseline[slot] = threshold - margin
    this.smoothed[slot] += this.smoothingWeight * (score - this.smoothed[slot])
    const excess = this.smoothed[slot] - this.baseline[slot]
    const learning = excess < margin && this.state[slot] === AlertState.normal ? p.baselineAlpha : p.baselineAlpha * STANDING_LEARNING_SHARE
    this.baseline[slot] += learning * (score - this.baseline[slot])
    return n < p.baselineWarmup || n < this.warmup[slot] ? -Infinity : threshold + excess - margin
  }

  /**
   * Takes back the raise just made (the evidence turned out to be a sensor's, not the process's): the
   * machine is normal again and its recent scores are forgotten, so they do not raise it at once again.
   */
  withdraw (slot: number): void {
    this.state[slot] = AlertState.normal
    this.overMask[slot] = 0
    this.hotMask[slot] = 0
  }

  /** True while the machine in `slot` has an alert up. */
  isRaised (slot: number): boolean {
    return this.state[slot] === AlertState.raised
  }

  severityOf (slot: number): Severity {
    return SEVERITIES[this.severity[slot]]
  }

  /** Scores over the threshold among the last m. */
  overCount (slot: number): number {
    return popcount(this.overMask[slot] & this.mask)
  }

  /** Scores considered so far, at most m. */
  consideredCount (slot: number): number {
    return Math.min(this.scored[slot], this.policy.m)
  }
}

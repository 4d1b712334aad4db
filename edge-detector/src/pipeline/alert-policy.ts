import { NORMAL, RAISED, type MachineTable } from './machine-table.js'

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
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = { k: 3, m: 5, hysteresis: 0.02, cooldownMs: 30_000, criticalMargin: 0.1 }

/** Result of one alert update. */
export const UNCHANGED = 0
export const BECAME_RAISED = 1
export const BECAME_CLEARED = 2

/** Checks a policy and returns a clean copy; throws a RangeError naming the bad setting. */
export function validateAlertPolicy (policy: Partial<AlertPolicy>): AlertPolicy {
  const p = { ...DEFAULT_ALERT_POLICY, ...policy }
  if (!Number.isInteger(p.m) || p.m < 1 || p.m > 32) throw new RangeError(`alert m must be an integer from 1 to 32, got ${p.m}`)
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > p.m) throw new RangeError(`alert k must be an integer from 1 to m (${p.m}), got ${p.k}`)
  if (!(p.hysteresis >= 0 && p.hysteresis < 1)) throw new RangeError(`alert hysteresis must be in [0, 1), got ${p.hysteresis}`)
  if (!(p.cooldownMs >= 0) || !Number.isFinite(p.cooldownMs)) throw new RangeError(`alert cooldown must be a non-negative number of ms, got ${p.cooldownMs}`)
  if (!(p.criticalMargin >= 0) || !Number.isFinite(p.criticalMargin)) throw new RangeError(`critical margin must be a non-negative number, got ${p.criticalMargin}`)
  return p
}

/** Number of set bits in a 32-bit integer. */
export function popcount (x: number): number {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/** The k-of-m alert state machine, applied to the per-machine state of a {@link MachineTable}. */
export class AlertTracker {
  readonly policy: AlertPolicy
  private readonly mask: number

  constructor (policy: Partial<AlertPolicy> = {}) {
    this.policy = validateAlertPolicy(policy)
    this.mask = this.policy.m === 32 ? 0xffffffff : ((1 << this.policy.m) >>> 0) - 1
  }

  /** Records one score for a machine and returns UNCHANGED, BECAME_RAISED or BECAME_CLEARED. */
  update (table: MachineTable, slot: number, score: number, threshold: number, ts: number): number {
    const p = this.policy
    table.overMask[slot] = ((table.overMask[slot] << 1) | (score > threshold ? 1 : 0)) >>> 0
    table.hotMask[slot] = ((table.hotMask[slot] << 1) | (score > threshold - p.hysteresis ? 1 : 0)) >>> 0
    if (table.scored[slot] < 32) table.scored[slot]++
    table.lastScore[slot] = score
    if (table.alert[slot] === NORMAL) {
      if (popcount(table.overMask[slot] & this.mask) < p.k) return UNCHANGED
      if (table.lastClearTs[slot] > 0 && ts - table.lastClearTs[slot] < p.cooldownMs) return UNCHANGED
      table.alert[slot] = RAISED
      table.severity[slot] = score >= threshold + p.criticalMargin ? 1 : 0
      table.lastRaiseTs[slot] = ts
      return BECAME_RAISED
    }
    if (popcount(table.hotMask[slot] & this.mask) >= p.k) return UNCHANGED
    table.alert[slot] = NORMAL
    table.lastClearTs[slot] = ts
    return BECAME_CLEARED
  }

  /** Scores over the threshold among the last m. */
  overCount (table: MachineTable, slot: number): number {
    return popcount(table.overMask[slot] & this.mask)
  }

  /** Scores considered so far, at most m. */
  consideredCount (table: MachineTable, slot: number): number {
    return Math.min(table.scored[slot], this.policy.m)
  }
}

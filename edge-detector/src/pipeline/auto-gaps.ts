import { AUTO_GAP_INTERVALS, autoGapMs } from '@factory-edge/shared/profiles'

/**
 * `gapMs: auto` per machine: the first readings' timestamps of each slot, until there are enough to
 * take the typical interval from (`autoGapMs`); no gap empties the window before that, so that a slow
 * series is not cut at its second reading.
 */
export class AutoGaps {
  /** The gap of each slot, Infinity until known. */
  readonly gapMs: Float64Array
  private readonly times: Float64Array
  private readonly held: Uint8Array
  private static readonly SAMPLES = AUTO_GAP_INTERVALS + 1

  constructor (capacity: number) {
    this.gapMs = new Float64Array(capacity).fill(Infinity)
    this.times = new Float64Array(capacity * AutoGaps.SAMPLES)
    this.held = new Uint8Array(capacity)
  }

  reset (slot: number): void {
    this.gapMs[slot] = Infinity
    this.held[slot] = 0
  }

  /** Records a reading's time (in order) while the slot's gap is not known yet. */
  observe (slot: number, ts: number): void {
    if (this.gapMs[slot] !== Infinity) return
    const n = AutoGaps.SAMPLES
    const held = this.held[slot]
    this.times[slot * n + held] = ts
    this.held[slot] = held + 1
    if (held + 1 < n) return
    // Too few positive intervals (a burst with equal timestamps): start collecting again.
    this.gapMs[slot] = autoGapMs(this.times.subarray(slot * n, slot * n + n)) ?? Infinity
    this.held[slot] = 0
  }
}

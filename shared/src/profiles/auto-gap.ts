/**
 * `gapMs: auto`: the gap that empties a machine's window, from the typical interval of its data. The
 * median interval is robust to the pauses and bursts the data may hold; ten of them tolerate a few lost
 * readings (a dropout) without forgetting the window, while a stop of the machine still resets it.
 */
export const AUTO_GAP_INTERVALS = 10
/** Below this the clocks of two readings are too close to tell an interval from jitter. */
export const AUTO_GAP_MIN_MS = 1000

/**
 * The automatic gap for readings with these timestamps (ms, in stream order), or undefined when fewer
 * than two positive intervals are known (the caller keeps its configured gap until it has data).
 */
export function autoGapMs (timestamps: ArrayLike<number>): number | undefined {
  const intervals: number[] = []
  for (let i = 1; i < timestamps.length; i++) {
    const d = timestamps[i] - timestamps[i - 1]
    if (d > 0) intervals.push(d)
  }
  if (intervals.length < 2) return undefined
  intervals.sort((a, b) => a - b)
  const mid = intervals.length >> 1
  const median = intervals.length % 2 === 1 ? intervals[mid] : (intervals[mid - 1] + intervals[mid]) / 2
  return Math.max(AUTO_GAP_MIN_MS, Math.round(AUTO_GAP_INTERVALS * median))
}

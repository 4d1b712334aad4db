/**
 * Resident memory of a server process once it has settled, for the per-client memory figures of
 * broker.bench.ts (issue 17, docs/scaling.md).
 *
 * A Node process keeps the young generation that a burst of allocation grew (up to tens of MB) until
 * V8's memory reducer runs: a timer that starts a garbage collection that shrinks the heap at the
 * earliest about 8 s after the last full collection, and only once the allocation rate has been low,
 * so in practice tens of seconds after the burst. Until then the resident size is flat at the burst's
 * level; the process then falls to where it stays while idle. A figure read before that drop measures
 * where the collector happened to be, not what an idle client costs; so is a baseline read before a
 * fresh broker's own first drop, which comes a few seconds after its start-up.
 *
 * The rule: sample the resident size every second; for a garbage-collected process, wait for a drop of
 * at least {@link DROP} below the highest sample of this wait, then until the last {@link FLAT_SAMPLES}
 * samples lie within {@link FLAT} of each other (the reducer runs up to three collections in a row).
 * A process without a garbage collector (Mosquitto: malloc and free) only has to be flat. The wait is
 * bounded; a figure that did not settle says so.
 */
import { rssOf } from './harness.js'

/** A fall of this fraction of the highest sample counts as the memory reducer's drop. */
const DROP = 0.05
/** Samples that lie within this fraction of each other count as flat. */
const FLAT = 0.01
const FLAT_SAMPLES = 4
const INTERVAL_MS = 1000

export interface Settled {
  /** Resident size in bytes at the end of the wait. */
  rss: number
  /** False when the bound ran out first: the figure is then not a settled one. */
  settled: boolean
  seconds: number
}

/** Waits until the resident size of `pid` has settled (see the file comment), at most `boundS` seconds. */
export async function settledRss (pid: number, { garbageCollected, boundS = 60 }: { garbageCollected: boolean, boundS?: number }): Promise<Settled> {
  const samples: number[] = []
  let highest = 0
  let dropped = !garbageCollected
  const start = Date.now()
  for (;;) {
    const rss = rssOf(pid)
    if (rss === undefined) throw new Error(`no resident memory for process ${pid}: has it exited?`)
    samples.push(rss)
    highest = Math.max(highest, rss)
    if (rss <= highest * (1 - DROP)) dropped = true
    const seconds = (Date.now() - start) / 1000
    if (dropped && samples.length >= FLAT_SAMPLES) {
      const last = samples.slice(-FLAT_SAMPLES)
      if (Math.max(...last) - Math.min(...last) <= Math.max(...last) * FLAT) return { rss, settled: true, seconds }
    }
    if (seconds >= boundS) return { rss, settled: false, seconds }
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS))
  }
}

/** Highest resident size of `pid` while `work` runs, sampled every 50 ms. */
export async function peakRssDuring<T> (pid: number, work: () => Promise<T>): Promise<{ result: T, peak: number }> {
  let peak = rssOf(pid) ?? 0
  const timer = setInterval(() => { peak = Math.max(peak, rssOf(pid) ?? 0) }, 50)
  try {
    const result = await work()
    peak = Math.max(peak, rssOf(pid) ?? 0)
    return { result, peak }
  } finally {
    clearInterval(timer)
  }
}

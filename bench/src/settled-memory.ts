/**
 * Resident memory of a server process once it has settled, for the per-client memory figures of
 * broker.bench.ts (issue 17, docs/scaling.md).
 *
 * A Node process keeps the young generation that a burst of allocation grew (tens of MB) until V8's
 * memory reducer runs: a timer that, at the earliest about 8 s after a full collection and only once
 * the allocation rate has been low, runs up to three full collections that shrink the heap. In practice
 * that is tens of seconds after the burst, and its delay varies from run to run; until then the
 * resident size stays flat at the burst's level, so no "flat for a few seconds" rule can tell the two
 * apart. A fresh broker has such a burst of its own: its start-up.
 *
 * The rule: the broker runs with `--trace-gc`, whose lines mark the memory reducer's collections
 * `(reduce)`. Sample the resident size every second; once the reducer has run since the wait began,
 * wait until the last {@link FLAT_SAMPLES} samples since then lie within {@link FLAT} of each other (its
 * collections come within a second or two of each other, and the resident size falls after them). A
 * process without a garbage collector (Mosquitto: malloc and free) only has to be flat. The wait is
 * bounded; a figure that did not settle says so.
 */
import type { Readable } from 'node:stream'
import { rssOf } from './harness.js'

/** Samples that lie within this fraction of each other count as flat. */
const FLAT = 0.01
const FLAT_SAMPLES = 4
const INTERVAL_MS = 1000
/** How V8's `--trace-gc` marks a full collection with the reduce-memory flag (the memory reducer's). */
const REDUCER_GC = /Mark-Compact \(reduce\)/

export interface Settled {
  /** Resident size in bytes at the end of the wait. */
  rss: number
  /** False when the bound ran out first: the figure is then not a settled one. */
  settled: boolean
  seconds: number
}

/** Counts the memory reducer's collections in the `--trace-gc` output of a Node process. */
export function memoryReducerRuns (traceGcOutput: Readable | undefined): () => number {
  let runs = 0
  let partial = ''
  traceGcOutput?.setEncoding('utf8')
  traceGcOutput?.on('data', (text: string) => {
    const lines = (partial + text).split('\n')
    partial = lines.pop() ?? ''
    runs += lines.filter((line) => REDUCER_GC.test(line)).length
  })
  return () => runs
}

/**
 * Waits until the resident size of `pid` has settled (see the file comment), at most `boundS` seconds.
 * `reducerRuns` counts the process' memory-reducer collections; without it the process is taken to
 * have no garbage collector.
 */
export async function settledRss (pid: number, reducerRuns?: () => number, boundS = 120): Promise<Settled> {
  // Only samples taken once the reducer has run count: its first collection can end before the
  // resident size falls.
  const samples: number[] = []
  const runsBefore = reducerRuns?.() ?? 0
  const start = Date.now()
  for (;;) {
    const rss = rssOf(pid)
    if (rss === undefined) throw new Error(`no resident memory for process ${pid}: has it exited?`)
    if (reducerRuns === undefined || reducerRuns() > runsBefore) samples.push(rss)
    const seconds = (Date.now() - start) / 1000
    if (samples.length >= FLAT_SAMPLES) {
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

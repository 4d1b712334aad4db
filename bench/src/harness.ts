import { readFileSync } from 'node:fs'
/** One measured figure: printed as one JSON line with `--json`. */
export interface Measurement {
  name: string
  value: number
  unit: string
}

/** What a benchmark file gets: a way to report figures and the shared options. */
export interface BenchContext {
  report: (name: string, value: number, unit: string) => void
  /** Set by `--quick`: smaller sizes, for a smoke run. */
  quick: boolean
  /** The real AI4I data: $AI4I_CSV, else ../shared/data/ai4i2020.csv beside the repo; benchmarks fall back to synthetic rows without it. */
  ai4iPath: string
}

/** A benchmark file's default export. */
export type Benchmark = (ctx: BenchContext) => Promise<void>

/** Runs `fn` repeatedly for at least `minMs` and returns the mean time per call in ms. */
export function timeIt (fn: () => void, minMs = 300): number {
  for (let i = 0; i < 3; i++) fn()
  let calls = 0
  const start = process.hrtime.bigint()
  let elapsed = 0
  do {
    fn()
    calls++
    elapsed = Number(process.hrtime.bigint() - start) / 1e6
  } while (elapsed < minMs)
  return elapsed / calls
}

// The benchmarks start their servers on ports of the tests' one helper.
export { freePort } from '@factory-edge/test-support/ports'

/** Resident set size of a process in bytes (Linux /proc), or undefined once it has exited. */
export function rssOf (pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? undefined : Number(m[1]) * 1024
  } catch {
    return undefined
  }
}

/** Resident set size of a running process in MB; throws when it is gone. */
export function rssMbOf (pid: number | undefined): number {
  const bytes = pid === undefined ? undefined : rssOf(pid)
  if (bytes === undefined) throw new Error(`no resident memory for process ${pid}: has it exited?`)
  return bytes / 1048576
}

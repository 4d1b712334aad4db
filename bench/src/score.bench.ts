/**
 * `edge-detector score`: rows of a telemetry file scored per second on one core, reading the file and
 * writing the scored CSV included (the command's whole work, without starting a process).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { scoreFile } from '@factory-edge/edge-detector/scoring'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import type { Benchmark } from './harness.js'
import { benchReadings, trainBenchModel } from './detector/fixtures.js'

const score: Benchmark = async (ctx) => {
  const dir = await tempDir('factory-edge-bench-score-')
  try {
    const readings = benchReadings(100, ctx.quick ? 200 : 2000, Date.now() - 86_400_000)
    const input = join(dir.dir, 'readings.ndjson')
    await writeFile(input, readings.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const model = trainBenchModel()
    let best = 0
    // The best of three: other processes on a shared machine only ever make a run slower.
    for (let run = 0; run < 3; run++) {
      const started = performance.now()
      const summary = await scoreFile(input, join(dir.dir, 'scored.csv'), { model })
      best = Math.max(best, summary.rows / ((performance.now() - started) / 1000))
    }
    ctx.report('score.rows_per_s', best, 'rows/s')
  } finally {
    await dir.cleanup()
  }
}

export default score

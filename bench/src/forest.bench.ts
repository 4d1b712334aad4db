/**
 * Our Isolation Forest against ml-isolation-forest 0.1.0 (the baseline it replaced) on 10,000 × 5
 * AI4I rows (air and process temperature, speed, torque, tool wear), 100 trees, in the same run:
 * training time, batch and single-row scoring, and model file size. Uses the real AI4I 2020 file when it
 * exists (ctx.ai4iPath), else AI4I-like synthetic rows; a line on stderr says which.
 *
 * Times are medians over repeated runs (the first runs warm the JIT up), since the machine is shared.
 */
import { existsSync, readFileSync } from 'node:fs'
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest'
import { IsolationForest, Random, serializeModel, trainModel, FEATURE_SETS } from '@factory-edge/shared/ml'
import type { BenchContext } from './harness.js'

const N_FEATURES = 5
const AI4I_COLUMNS = ['Air temperature [K]', 'Process temperature [K]', 'Rotational speed [rpm]', 'Torque [Nm]', 'Tool wear [min]']

/** The five process values of the AI4I file, row-major. */
function readAi4i (path: string): Float64Array {
  const lines = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/)
  const header = lines[0].split(',')
  const columns = AI4I_COLUMNS.map((name) => {
    const i = header.indexOf(name)
    if (i === -1) throw new Error(`${path}: no column "${name}"`)
    return i
  })
  const data = new Float64Array((lines.length - 1) * N_FEATURES)
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r].split(',')
    for (let f = 0; f < N_FEATURES; f++) data[(r - 1) * N_FEATURES + f] = Number(cells[columns[f]])
  }
  return data
}

/** AI4I-like rows: temperatures around 300/310 K, speed and torque tied by a roughly constant power, tool wear 0–240 min. */
function ai4iLike (rows: number): Float64Array {
  const random = new Random(2020)
  const data = new Float64Array(rows * N_FEATURES)
  for (let r = 0; r < rows; r++) {
    const air = random.normal(300, 2)
    const rpm = Math.max(1168, random.normal(1540, 180))
    const torque = Math.max(3.8, random.normal(6500, 900) / (rpm * Math.PI / 30) + random.normal(0, 2))
    data.set([Math.round(air * 10) / 10, Math.round((air + 10 + random.normal(0, 1)) * 10) / 10, Math.round(rpm), Math.round(torque * 10) / 10, r % 241], r * N_FEATURES)
  }
  return data
}

/** Median of `runs` timings of `fn` in ms, after `warmup` untimed calls. */
function medianMs (fn: () => void, runs: number, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    fn()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

export default async function (ctx: BenchContext): Promise<void> {
  const real = existsSync(ctx.ai4iPath)
  const data = real ? readAi4i(ctx.ai4iPath) : ai4iLike(10_000)
  const nRows = data.length / N_FEATURES
  process.stderr.write(`forest.bench: ${nRows} rows × ${N_FEATURES} features from ${real ? ctx.ai4iPath : 'synthetic AI4I-like data (no AI4I file at ' + ctx.ai4iPath + ')'}, 100 trees\n`)
  const runs = ctx.quick ? 5 : 21

  let seed = 0
  let forest = IsolationForest.fit(data, N_FEATURES)
  const trainMs = medianMs(() => { forest = IsolationForest.fit(data, N_FEATURES, { seed: seed++ }) }, runs)
  // With a contamination fraction, training also scores the training rows for the threshold quantile.
  const trainContaminationMs = medianMs(() => IsolationForest.fit(data, N_FEATURES, { seed: seed++, contamination: 0.04 }), runs)
  const scores = new Float64Array(nRows)
  const batchMs = medianMs(() => forest.scoreBatch(data, scores), runs)
  let sink = 0
  const singleMs = medianMs(() => {
    for (let r = 0; r < nRows; r++) sink += forest.score(data, r * N_FEATURES)
  }, ctx.quick ? 3 : 9)
  if (Number.isNaN(sink)) throw new Error('scores must be numbers')
  const model = trainModel(FEATURE_SETS.raw, data, { seed: 1 }, { source: real ? 'ai4i2020.csv' : 'ai4i-like', createdAt: '2026-01-01T00:00:00.000Z' })
  const modelBytes = Buffer.byteLength(serializeModel(model))

  // The baseline takes number[][] and is ~50× slower: fewer runs keep this file within its time budget.
  const rows = Array.from({ length: nRows }, (_, r) => Array.from(data.subarray(r * N_FEATURES, (r + 1) * N_FEATURES)))
  let ml = new MlIsolationForest({ nEstimators: 100 })
  const mlRuns = ctx.quick ? 1 : 3
  const mlTrainMs = medianMs(() => {
    ml = new MlIsolationForest({ nEstimators: 100 })
    ml.train(rows)
  }, mlRuns, 1)
  const mlScoreMs = medianMs(() => { ml.predict(rows) }, mlRuns, 1)
  const mlBytes = Buffer.byteLength(JSON.stringify(ml))

  const rowsPerS = nRows / (batchMs / 1000)
  const mlRowsPerS = nRows / (mlScoreMs / 1000)
  ctx.report('forest.train_ms', trainMs, 'ms')
  ctx.report('forest.train_contamination_ms', trainContaminationMs, 'ms')
  ctx.report('forest.score_rows_per_s', rowsPerS, 'rows/s')
  ctx.report('forest.score_single_us', (singleMs * 1000) / nRows, 'µs')
  ctx.report('forest.model_bytes', modelBytes, 'bytes')
  ctx.report('forest.speedup_vs_ml_isolation_forest', rowsPerS / mlRowsPerS, '×')
  ctx.report('ml_isolation_forest.train_ms', mlTrainMs, 'ms')
  ctx.report('ml_isolation_forest.score_rows_per_s', mlRowsPerS, 'rows/s')
  ctx.report('ml_isolation_forest.model_bytes', mlBytes, 'bytes')
}

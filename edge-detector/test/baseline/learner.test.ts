import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FeatureSpecError, ForestInputError, quantile, serializeModel } from '@factory-edge/shared/ml'
import { pumpFeatureRows } from '@factory-edge/test-support/readings'
import { baselineSeed, chooseThreshold, DEFAULT_LEARN_OPTIONS, finiteRows, learnBaseline, trimmedRows, type LearnMeta } from '../../src/baseline/learner.js'
import { pumpProfile } from './fixtures.js'

const profile = pumpProfile()
const spec = profile.features
const n = spec.features.length
// One pump's stream: it learns from its first readings (2000, as the example profile says, for the
// quality test; 1000 elsewhere) and is scored on the rest.
const stream = pumpFeatureRows(profile, 6000, 1)
const rows = stream.slice(0, 1000 * n)
const meta: LearnMeta = { machineId: 'pump-7', profile, learnedAt: 1_767_226_600_000 }

test('the same readings of the same machine give a byte-identical baseline; another machine or profile gives another forest', () => {
  const a = learnBaseline(spec, rows, meta)
  const b = learnBaseline(spec, Float64Array.from(rows), { ...meta })
  assert.equal(serializeModel(a), serializeModel(b))
  assert.equal(a.createdAt, '2026-01-01T00:16:40.000Z')
  assert.equal(a.options.seed, baselineSeed('pump-7', 'pump'))
  const other = learnBaseline(spec, rows, { ...meta, machineId: 'pump-8' })
  assert.notEqual(other.options.seed, a.options.seed)
  assert.notEqual(other.version, a.version)
  const renamed = learnBaseline(spec, rows, { ...meta, profile: { name: 'pump2', catalog: profile.catalog } })
  assert.notEqual(renamed.version, a.version)
  assert.notEqual(baselineSeed('a\nb', 'c'), baselineSeed('b', 'a\nc'))
  assert.match(a.training.source, /^learned by pump-7 \(profile pump\)$/)
  assert.deepEqual(a.summary.map((s) => s.unit).slice(0, 3), ['m³/h', 'm³/h', 'bar'])
  assert.equal(a.summary[0].description, 'Volume flow')
})

test('the threshold is the 99.5th percentile of the machine\'s own learning scores plus 0.02, and at least their mean plus the calibration margin', () => {
  const model = learnBaseline(spec, rows, meta)
  const scores = model.forest.scoreBatch(rows)
  const mean = scores.reduce((s, x) => s + x, 0) / scores.length
  assert.equal(model.threshold, Math.max(quantile(scores, 0.995) + 0.02, mean + DEFAULT_LEARN_OPTIONS.calibrationMargin))
  assert.equal(model.options.contamination, 0.005, 'the file records the quantile as contamination')
  // The two parts of the rule, each where it decides.
  const spread = Float64Array.from({ length: 1001 }, (_, i) => 0.3 + 0.4 * i / 1000)
  assert.ok(Math.abs(chooseThreshold(spread, DEFAULT_LEARN_OPTIONS) - (0.698 + 0.02)) < 1e-12)
  const flat = new Float64Array(100).fill(0.5)
  assert.ok(Math.abs(chooseThreshold(flat, DEFAULT_LEARN_OPTIONS) - 0.6) < 1e-12)
  assert.equal(chooseThreshold(spread, { quantile: 0.5, thresholdMargin: 0, calibrationMargin: 0 }), 0.5)
  assert.ok(learnBaseline(spec, rows, meta, { calibrationMargin: 0.3 }).threshold > model.threshold)
  assert.throws(() => learnBaseline(spec, rows, meta, { quantile: 1 }), /quantile must be in \(0\.5, 1\)/)
})

test('fresh normal readings of the machine stay under its threshold; a failure goes over it', () => {
  const model = learnBaseline(spec, stream.subarray(0, 2000 * n), meta)
  const fresh = stream.slice(2000 * n)
  const scores = model.scoreBatch(fresh)
  const over = scores.filter((s) => s > model.threshold).length / scores.length
  assert.ok(over < 0.02, `${(100 * over).toFixed(2)} % of fresh normal readings are over the threshold`)
  // Bearing wear: vibration up by 1 mm/s (about 12 times its noise), its window mean following.
  const failing = Float64Array.from(fresh)
  const vibration = spec.features.indexOf('vibrationRms')
  const vibrationMean = spec.features.indexOf('vibrationRms.mean')
  for (let r = 0; r < failing.length / n; r++) {
    failing[r * n + vibration] += 1
    failing[r * n + vibrationMean] += 1
  }
  const failed = model.scoreBatch(failing)
  assert.equal(failed.filter((s) => s > model.threshold).length, failed.length)
})

test('a machine whose signals never moved while learning gets a threshold above its usual score', () => {
  const constant = new Float64Array(200 * n).fill(3)
  const model = learnBaseline(spec, constant, meta)
  assert.ok(Math.abs(model.threshold - 0.6) < 1e-12, 'every learning score is 0.5: the mean-plus-margin part decides')
  assert.ok(model.score(constant.subarray(0, n)) < model.threshold)
})

test('rows holding NaN or Infinity are left out and counted; the baseline is the one the other rows give', () => {
  const dirty = Float64Array.from(rows)
  dirty[3 * n + 2] = NaN
  dirty[500 * n] = Infinity
  dirty[999 * n + n - 1] = -Infinity
  const model = learnBaseline(spec, dirty, meta)
  assert.equal(model.training.rows, 997)
  assert.equal(model.training.dropped, 3)
  const clean = new Float64Array(997 * n)
  for (let r = 0, k = 0; r < 1000; r++) if (r !== 3 && r !== 500 && r !== 999) clean.set(rows.subarray(r * n, (r + 1) * n), n * k++)
  const fromClean = learnBaseline(spec, clean, meta)
  assert.equal(model.version, fromClean.version)
  assert.equal(model.threshold, fromClean.threshold)
  assert.deepEqual(model.summary, fromClean.summary)
  assert.equal(learnBaseline(spec, rows, meta).training.dropped, undefined, 'nothing dropped, nothing recorded')
  assert.equal(finiteRows(rows, n).rows, rows, 'clean rows are not copied')

  const allBad = new Float64Array(5 * n).fill(NaN)
  assert.throws(() => learnBaseline(spec, allBad, meta), (err: unknown) => err instanceof ForestInputError && /pump-7: 0 of 5 learning rows are usable \(5 held/.test(err.message))
  const oneGood = Float64Array.from(allBad)
  oneGood.set(rows.subarray(0, n))
  assert.throws(() => learnBaseline(spec, oneGood, meta), /pump-7: 1 of 5 learning rows are usable \(4 held .*; at least 2 are needed/)
  assert.throws(() => learnBaseline(spec, rows.subarray(0, n + 1), meta), new RegExp(`not whole rows of ${n} features`))
})

test('with a trim, a failure the machine went through while it learned is left out of its baseline, which then still sees it', () => {
  // Bearing wear during the last 4 % of the learning readings: vibration up by 1 mm/s, its mean following.
  const vibration = spec.features.indexOf('vibrationRms')
  const vibrationMean = spec.features.indexOf('vibrationRms.mean')
  const learning = Float64Array.from(stream.subarray(0, 2000 * n))
  let healthyMeanMax = -Infinity
  for (let r = 0; r < 2000; r++) healthyMeanMax = Math.max(healthyMeanMax, learning[r * n + vibrationMean])
  const failing = (from: Float64Array, first: number, last: number): Float64Array => {
    const out = Float64Array.from(from)
    for (let r = first; r < last; r++) {
      out[r * n + vibration] += 1
      out[r * n + vibrationMean] += 1
    }
    return out
  }
  const contaminated = failing(learning, 1920, 2000)
  const failure = failing(stream.slice(2000 * n, 2200 * n), 0, 200)
  const overShare = (model: ReturnType<typeof learnBaseline>): number => model.scoreBatch(failure).filter((x) => x > model.threshold).length / 200

  const plain = learnBaseline(spec, contaminated, meta)
  assert.equal(plain.training.trimmed, undefined, 'no trim by default: nothing recorded')
  assert.equal(plain.training.rows, 2000)
  assert.ok(plain.summary[vibrationMean].max > healthyMeanMax + 0.5, 'without a trim the failure is part of the learned range')
  const trimmed = learnBaseline(spec, contaminated, meta, { trim: 0.1 })
  assert.equal(trimmed.training.trimmed, 200)
  assert.equal(trimmed.training.rows, 1800)
  const kept = trimmedRows(contaminated, n, 0.1, { ...plain.options, contamination: 'auto' })
  assert.equal(kept.length / n, 1800)
  let failingKept = 0
  for (let r = 0; r < 1800; r++) if (kept[r * n + vibrationMean] > healthyMeanMax + 0.5) failingKept++
  assert.ok(failingKept <= 8, `${failingKept} of the 80 failing readings kept`)
  assert.ok(overShare(plain) < 0.05, `the plain baseline has learned the failure as normal, yet sees ${overShare(plain)} of it`)
  assert.ok(overShare(trimmed) > 0.4, `the trimmed baseline sees only ${overShare(trimmed)} of the failure's raw scores over its threshold`)
  // Deterministic, and recorded in the file.
  assert.equal(serializeModel(learnBaseline(spec, contaminated, meta, { trim: 0.1 })), serializeModel(trimmed))
  assert.match(serializeModel(trimmed), /"trimmed": 200,/)
  assert.throws(() => learnBaseline(spec, rows, meta, { trim: 0.5 }), /trim must be in \[0, 0\.5\)/)
})

test('a baseline is a small forest: 32 trees of at most 256 rows, in the compact layout, whatever the number of learning readings', () => {
  const model = learnBaseline(spec, stream, meta)
  assert.equal(model.options.nEstimators, 32)
  assert.equal(model.forest.layoutMode, 'compact')
  assert.equal(model.forest.sampleSize, 256)
  assert.equal(model.training.rows, 6000)
  const few = learnBaseline(spec, rows.subarray(0, 100 * n), meta)
  assert.equal(few.forest.sampleSize, 100)
  assert.ok(Buffer.byteLength(serializeModel(model)) < 50 * 1024)
  assert.equal(learnBaseline(spec, rows, meta, { trees: 10, sampleSize: 64 }).forest.nTrees, 10)
})

test('the features must be ones the profile can compute', () => {
  assert.throws(() => learnBaseline({ window: 1, features: ['rpm'] }, rows.subarray(0, 10), meta), (err: unknown) => err instanceof FeatureSpecError && /unknown signal "rpm"/.test(err.message))
  assert.throws(() => learnBaseline(spec, rows, { ...meta, learnedAt: 'yesterday' }), /learnedAt must be a time/)
})

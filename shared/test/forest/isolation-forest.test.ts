import { test } from 'node:test'
import assert from 'node:assert/strict'
import { IsolationForest, ForestInputError, averagePathLength, quantile } from '../../src/ml.js'
import { loadParityFixture, rocAuc, spearman } from './fixture.js'

const { fixture, data, nFeatures } = loadParityFixture()
const nRows = data.length / nFeatures

test('c(n) matches scikit-learn\'s _average_path_length', () => {
  assert.equal(averagePathLength(0), 0)
  assert.equal(averagePathLength(1), 0)
  assert.equal(averagePathLength(2), 1)
  // Reference values printed by sklearn.ensemble._iforest._average_path_length 1.2.1.
  const expected: Array<[number, number]> = [[3, 1.207392357589623], [10, 3.748880484475504], [256, 10.244770920119917], [10000, 17.575112063754766]]
  for (const [n, c] of expected) assert.ok(Math.abs(averagePathLength(n) - c) < 1e-12, `c(${n}) = ${averagePathLength(n)}, expected ${c}`)
})

test('scores rank like scikit-learn\'s and separate the injected failures as well', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: fixture.params.n_estimators, seed: 7 })
  const ours = forest.scoreBatch(data)
  // score_samples is the negated anomaly score.
  const theirs = fixture.scoreSamples.map((s) => -s)
  const rho = spearman(ours, theirs)
  assert.ok(rho >= 0.95, `Spearman correlation with scikit-learn ${rho.toFixed(4)} < 0.95 (sklearn against itself: ${fixture.selfSpearman})`)
  const auc = rocAuc(fixture.labels, ours)
  const sklearnAuc = rocAuc(fixture.labels, theirs)
  assert.ok(Math.abs(sklearnAuc - fixture.rocAuc) < 1e-4, 'our ROC-AUC computation agrees with scikit-learn\'s roc_auc_score')
  assert.ok(Math.abs(auc - sklearnAuc) <= 0.02, `ROC-AUC ${auc.toFixed(4)} vs scikit-learn ${sklearnAuc.toFixed(4)}`)
  // Scores are on scikit-learn's scale too, not just in the same order.
  let meanAbs = 0
  for (let i = 0; i < nRows; i++) meanAbs += Math.abs(ours[i] - theirs[i]) / nRows
  assert.ok(meanAbs < 0.01, `mean absolute score difference ${meanAbs}`)
})

test('the same data, options and seed give the same forest; another seed gives another', () => {
  const a = IsolationForest.fit(data, nFeatures, { nEstimators: 20, seed: 3 })
  const b = IsolationForest.fit(data, nFeatures, { nEstimators: 20, seed: 3 })
  const c = IsolationForest.fit(data, nFeatures, { nEstimators: 20, seed: 4 })
  assert.deepEqual(a.state(), b.state())
  assert.deepEqual(a.scoreBatch(data), b.scoreBatch(data))
  assert.notDeepEqual(a.scoreBatch(data), c.scoreBatch(data))
})

test('single-row and batch scoring agree, and batch writes into a given array', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 30, seed: 1 })
  const out = new Float64Array(nRows)
  const batch = forest.scoreBatch(data, out)
  assert.equal(batch, out)
  for (let r = 0; r < nRows; r += 37) {
    assert.equal(forest.score(data, r * nFeatures), batch[r])
    assert.equal(forest.score(fixture.rows[r]), batch[r])
  }
})

test('threshold: "auto" is 0.5, a contamination fraction flags that share of the training rows', () => {
  assert.equal(IsolationForest.fit(data, nFeatures, { nEstimators: 20 }).threshold, 0.5)
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 50, contamination: 0.04 })
  const scores = forest.scoreBatch(data)
  assert.equal(forest.threshold, quantile(scores, 0.96))
  const flagged = scores.filter((s) => s > forest.threshold).length
  assert.ok(Math.abs(flagged - 0.04 * nRows) <= 2, `${flagged} of ${nRows} rows above the threshold`)
})

test('quantile interpolates linearly like numpy', () => {
  const v = Float64Array.from([4, 1, 3, 2])
  assert.equal(quantile(v, 0), 1)
  assert.equal(quantile(v, 1), 4)
  assert.equal(quantile(v, 0.5), 2.5)
  assert.equal(quantile(v, 0.9), 3.7)
})

test('far outliers score high, typical rows low', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 100 })
  const typical = forest.score([300, 310, 1500, 40, 100])
  const outlier = forest.score([300, 310, 2800, 4, 100])
  assert.ok(typical < 0.5, `typical row scored ${typical}`)
  assert.ok(outlier > 0.6, `outlier scored ${outlier}`)
})

test('a constant column is never split on', () => {
  const withConstant = Float64Array.from(data)
  for (let r = 0; r < nRows; r++) withConstant[r * nFeatures] = 300
  const forest = IsolationForest.fit(withConstant, nFeatures, { nEstimators: 50 })
  const row = Float64Array.from(fixture.rows[5])
  row[0] = 300
  const base = forest.score(row)
  row[0] = -1e9
  assert.equal(forest.score(row), base)
  row[0] = 1e9
  assert.equal(forest.score(row), base)
})

test('all-constant data cannot be split: every row scores 0.5', () => {
  const flat = new Float64Array(300 * 3).fill(1)
  const forest = IsolationForest.fit(flat, 3, { nEstimators: 10 })
  assert.equal(forest.score([1, 1, 1]), 0.5)
  assert.equal(forest.score([9, -9, 0]), 0.5)
})

test('tiny training sets: one row scores 0.5 like scikit-learn, two rows are split once', () => {
  const one = IsolationForest.fit(Float64Array.from([1, 2]), 2, { nEstimators: 5 })
  assert.equal(one.score([1, 2]), 0.5)
  assert.equal(one.score([100, -100]), 0.5)
  const two = IsolationForest.fit(Float64Array.from([0, 0, 1, 1]), 2, { nEstimators: 5 })
  // Height limit ceil(log2 2) = 1: each row is alone in a leaf at depth 1, and c(2) = 1.
  assert.equal(two.score([0, 0]), 0.5)
  assert.equal(two.score([1, 1]), 0.5)
})

test('non-finite training values and bad options are rejected with a message naming them', () => {
  const bad = Float64Array.from(data.subarray(0, 50))
  bad[12] = NaN
  assert.throws(() => IsolationForest.fit(bad, nFeatures), (err: Error) => err instanceof ForestInputError && /row 2, feature 2 is NaN/.test(err.message))
  bad[12] = Infinity
  assert.throws(() => IsolationForest.fit(bad, nFeatures), /row 2, feature 2 is Infinity/)
  assert.throws(() => IsolationForest.fit(new Float64Array(0), 5), /empty/)
  assert.throws(() => IsolationForest.fit(new Float64Array(7), 5), /not a multiple/)
  assert.throws(() => IsolationForest.fit(data, nFeatures, { nEstimators: 0 }), /nEstimators/)
  assert.throws(() => IsolationForest.fit(data, nFeatures, { maxSamples: 1 }), /maxSamples/)
  assert.throws(() => IsolationForest.fit(data, nFeatures, { contamination: 0.7 }), /contamination/)
  assert.throws(() => IsolationForest.fit(data, nFeatures, { seed: 1.5 }), /seed/)
})

test('a row with a non-finite value scores NaN instead of a misleading number', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 10 })
  assert.ok(Number.isNaN(forest.score([NaN, 310, 1500, 40, 100])))
  const batch = Float64Array.from(data.subarray(0, 3 * nFeatures))
  batch[nFeatures + 3] = Infinity
  const scores = forest.scoreBatch(batch)
  assert.ok(Number.isNaN(scores[1]))
  assert.ok(Number.isFinite(scores[0]) && Number.isFinite(scores[2]))
})

test('contributions: the sensor that was pushed out of range drives the anomaly', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 100 })
  const out = new Float64Array(nFeatures)
  forest.contributions([300, 310, 1500, 75, 100], out)
  let sum = 0
  for (const v of out) sum += v
  assert.ok(Math.abs(sum - 1) < 1e-9, `shares sum to ${sum}`)
  const top = out.indexOf(Math.max(...out))
  assert.equal(fixture.features[top], 'torque', `shares ${Array.from(out).map((v) => v.toFixed(3)).join(', ')}`)
  forest.contributions([300, 310, 1500, 40, 260], out)
  assert.equal(fixture.features[out.indexOf(Math.max(...out))], 'toolWear')
})

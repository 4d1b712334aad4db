import { test } from 'node:test'
import assert from 'node:assert/strict'
import { averagePrecision, confusion, evaluateScores, prCurve, recallPerMode, rocAuc, rocCurve } from '../../src/training/index.js'

const f64 = (a: number[]): Float64Array => Float64Array.from(a)
const u8 = (a: number[]): Uint8Array => Uint8Array.from(a)

test('ROC-AUC: perfect, inverted, and the scikit-learn example', () => {
  assert.equal(rocAuc(f64([0.9, 0.8, 0.2, 0.1]), u8([1, 1, 0, 0])), 1)
  assert.equal(rocAuc(f64([0.1, 0.2, 0.8, 0.9]), u8([1, 1, 0, 0])), 0)
  // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
  assert.equal(rocAuc(f64([0.1, 0.4, 0.35, 0.8]), u8([0, 0, 1, 1])), 0.75)
  // Ties between classes count one half.
  assert.equal(rocAuc(f64([0.5, 0.5]), u8([1, 0])), 0.5)
})

test('average precision matches scikit-learn', () => {
  // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333...
  assert.ok(Math.abs(averagePrecision(f64([0.1, 0.4, 0.35, 0.8]), u8([0, 0, 1, 1])) - 5 / 6) < 1e-12)
  assert.equal(averagePrecision(f64([0.9, 0.1]), u8([1, 0])), 1)
})

test('curves start and end where they must', () => {
  const scores = f64([0.1, 0.4, 0.35, 0.8])
  const labels = u8([0, 0, 1, 1])
  const roc = rocCurve(scores, labels)
  assert.deepEqual(roc[0], { x: 0, y: 0 })
  assert.deepEqual(roc[roc.length - 1], { x: 1, y: 1 })
  const pr = prCurve(scores, labels)
  assert.deepEqual(pr[0], { x: 0.5, y: 1 })
  assert.deepEqual(pr[pr.length - 1], { x: 1, y: 0.5 })
})

test('confusion matrix, F1 and recall per mode at the threshold (score above it is flagged)', () => {
  const scores = f64([0.7, 0.6, 0.55, 0.4, 0.65, 0.5])
  const labels = u8([1, 1, 1, 0, 0, 0])
  const modes = u8([0b00100, 0b00010, 0b00110, 0, 0, 0]) // PWF; HDF; HDF+PWF
  assert.deepEqual(confusion(scores, labels, 0.55), { tp: 2, fp: 1, tn: 2, fn: 1 })
  const e = evaluateScores(scores, labels, modes, 0.55)
  assert.ok(Math.abs(e.precision - 2 / 3) < 1e-12)
  assert.ok(Math.abs(e.recall - 2 / 3) < 1e-12)
  assert.ok(Math.abs(e.f1 - 2 / 3) < 1e-12)
  const per = Object.fromEntries(recallPerMode(scores, modes, 0.55).map((m) => [m.mode, m]))
  assert.deepEqual(per.PWF, { mode: 'PWF', rows: 2, detected: 1, recall: 0.5 })
  assert.deepEqual(per.HDF, { mode: 'HDF', rows: 2, detected: 1, recall: 0.5 })
  assert.equal(per.TWF.rows, 0)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_FEATURES, loadModel } from '@factory-edge/shared/ml'
import { loadDataset, trainOnDataset, type TrainingReport } from '../../src/training/index.js'
import { ai4iLikeRows, kaggleCsv, tempDir, uciCsv, writeText } from './fixtures.js'

const BIN = fileURLToPath(new URL('../../src/bin/edge-detector.js', import.meta.url))

function run (args: string[]): { status: number | null, stdout: string, stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 })
}

test('train on a CSV, then evaluate on another: model, reports and figures agree', async (t) => {
  const dir = await tempDir(t)
  const trainCsv = await writeText(dir, 'train.csv', uciCsv(ai4iLikeRows(3000, 11)))
  const testCsv = await writeText(dir, 'test.csv', kaggleCsv(ai4iLikeRows(2000, 12)))
  const out = join(dir, 'results', 'model.json')

  const trained = run(['train', '--csv', trainCsv, '--out', out, '--trees', '50', '--seed', '3', '--contamination', '0.04', '--log-format', 'json'])
  assert.equal(trained.status, 0, trained.stderr)
  const model = await loadModel(out)
  assert.deepEqual(model.featureSpec.features, DEFAULT_FEATURES.features)
  assert.equal(model.options.nEstimators, 50)
  assert.equal(model.options.contamination, 0.04)
  assert.equal(model.training.rows, 3000)

  const evaluated = run(['evaluate', '--model', out, '--csv', testCsv, '--json'])
  assert.equal(evaluated.status, 0, evaluated.stderr)
  const lines = evaluated.stdout.trim().split('\n')
  assert.equal(lines.length, 1, 'one JSON object')
  const e = JSON.parse(lines[0])
  for (const key of ['auc', 'ap', 'precision', 'recall', 'f1', 'threshold', 'rows']) assert.equal(typeof e[key], 'number', key)
  assert.equal(e.rows, 2000)
  assert.equal(e.threshold, model.threshold)
  // The fixture's failures break physical limits the default features measure directly.
  assert.ok(e.auc > 0.9, `auc ${e.auc}`)
  assert.ok(e.f1 > 0.5, `f1 ${e.f1}`)
  assert.equal(e.confusion.tp + e.confusion.fn, e.failures)
  assert.equal(e.confusion.tp + e.confusion.fp + e.confusion.tn + e.confusion.fn, 2000)
  assert.deepEqual(e.perMode.map((m: { mode: string }) => m.mode), ['TWF', 'HDF', 'PWF', 'OSF', 'RNF'])
  assert.deepEqual(e.originalDesign.features, ['temperature', 'rpm', 'humidity'])
  assert.ok(e.originalDesign.auc < e.auc, 'the original design is shown side by side, and is worse here')

  const text = run(['evaluate', '--model', out, '--csv', testCsv])
  assert.equal(text.status, 0, text.stderr)
  assert.match(text.stdout, /ROC-AUC\s+\d\.\d{3}\s+\d\.\d{3}/)
  assert.match(text.stdout, /PWF Power failure\s+\d+\/\d+/)
  assert.match(text.stdout, /confusion matrix/)
})

test('report.json and report.html describe the run, self-contained', async (t) => {
  const dir = await tempDir(t)
  const csv = await writeText(dir, 'train.csv', uciCsv(ai4iLikeRows(1500, 21)))
  const out = join(dir, 'model.json')
  const trained = run(['train', '--csv', csv, '--out', out, '--trees', '30', '--log-level', 'silent'])
  assert.equal(trained.status, 0, trained.stderr)
  const model = await loadModel(out)
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as TrainingReport
  assert.equal(report.rows, 1500)
  assert.equal(report.model.version, model.version)
  assert.equal(report.model.threshold, model.threshold)
  assert.ok(report.evaluation !== null && report.originalDesign !== null)
  assert.ok(report.curves !== null)
  assert.deepEqual(report.curves.roc[0], { x: 0, y: 0 })
  assert.deepEqual(report.curves.roc[report.curves.roc.length - 1], { x: 1, y: 1 })
  const h = report.histogram
  assert.equal(h.normal.reduce((a, b) => a + b, 0) + h.failures.reduce((a, b) => a + b, 0), 1500)
  assert.equal(h.failures.reduce((a, b) => a + b, 0), report.evaluation.failures)
  assert.ok(h.edges[0] <= model.threshold && model.threshold <= h.edges[h.edges.length - 1])

  const html = await readFile(join(dir, 'report.html'), 'utf8')
  assert.equal((html.match(/<svg /g) ?? []).length, 3, 'ROC, precision-recall and histogram')
  assert.match(html, /ROC \(AUC \d\.\d{3}\)/)
  assert.match(html, /Precision-recall \(AP \d\.\d{3}\)/)
  assert.match(html, /class="threshold"/)
  assert.match(html, /threshold \d\.\d{3}/)
  for (const mode of ['TWF', 'HDF', 'PWF', 'OSF', 'RNF']) assert.match(html, new RegExp(`<td>${mode} — `))
  assert.doesNotMatch(html, /<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'nothing loaded from elsewhere')
})

test('the training matrix goes through the detector\'s feature code: equal data, equal model', async (t) => {
  const dir = await tempDir(t)
  const rows = ai4iLikeRows(800, 31)
  const a = await loadDataset(await writeText(dir, 'a.csv', uciCsv(rows)))
  const b = await loadDataset(await writeText(dir, 'b.csv', kaggleCsv(rows)))
  const options = { trees: 20, seed: 5, source: 'x' }
  assert.equal(trainOnDataset(a, options).model.version, trainOnDataset(b, options).model.version)
})

test('training on data without failures says the figures are undefined, not 0; small data gets a warning', async (t) => {
  const dir = await tempDir(t)
  const rows = ai4iLikeRows(400, 8).map((r) => ({ ...r, failure: 0 as const, mode: '' as const }))
  const csv = await writeText(dir, 'healthy.csv', uciCsv(rows))
  const trained = run(['train', '--csv', csv, '--out', join(dir, 'model.json'), '--trees', '20', '--log-format', 'json'])
  assert.equal(trained.status, 0, trained.stderr)
  assert.match(trained.stdout, /ROC-AUC and F1 undefined: no failures in the data/)
  assert.doesNotMatch(trained.stdout, /ROC-AUC 0\.000/)
  assert.match(trained.stdout, /"level":40.*only 400 rows to learn from/)
})

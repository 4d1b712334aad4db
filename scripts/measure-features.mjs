#!/usr/bin/env node
// Measures feature sets on a labelled file (default: ../shared/data/ai4i2020.csv) and prints the
// Markdown tables of docs/features.md. Unsupervised: each model is trained on all rows without labels,
// and the labels are only used to score it. Mean over 5 seeds, 100 trees.
// Usage: npm run build && node scripts/measure-features.mjs [file.csv]
import { resolve } from 'node:path'
import { parseFeatureSpec } from '@factory-edge/shared/ml'
import { buildFeatureMatrix, evaluateScores, loadDataset, trainOnDataset, DEFAULT_CONTAMINATION } from '@factory-edge/edge-detector/training'

const file = process.argv[2] ?? resolve(import.meta.dirname, '../../shared/data/ai4i2020.csv')
const SEEDS = [1, 2, 3, 4, 5]
const SETS = [
  ['original', 'original design: process temperature, rpm, synthetic humidity'],
  ['raw', 'the five raw process values'],
  ['airTemperature,temperature,rpm,torque,toolWear,humidity', 'raw values and humidity'],
  ['tempDelta,power,strain,rpm,torque', 'derived features plus rpm and torque (first default)'],
  ['tempDelta,power,strain,rpm,torque,toolWear', 'derived features plus rpm, torque, tool wear'],
  ['tempDelta,power,strain,torque', 'temperature difference, power, strain, torque'],
  ['physical', 'temperature difference, power, strain'],
  ['tempDelta,power,strain,toolWear', 'temperature difference, power, strain, tool wear (default until issue 13)'],
  ['default', 'dissipation (ΔT·rpm), power, torque, strain, tool wear (default)'],
  ['dissipation,power,strain', 'dissipation (ΔT·rpm), power, strain'],
  ['dissipation,power,strain,toolWear', 'dissipation, power, strain, tool wear'],
  ['tempDelta,power,strain,toolWear,power.z@30', 'default plus z-score of power over 30 readings'],
  ['tempDelta,power,strain,toolWear,torque.mean,torque.std@10', 'default plus torque mean and std over 10 readings'],
  ['tempDelta,power,strain,toolWear,tempDelta.rate@30', 'default plus rate of change of ΔT over 30 readings']
]
const CV_SETS = ['original', 'raw', 'tempDelta,power,strain,rpm,torque', 'physical', 'tempDelta,power,strain,toolWear', 'default', 'dissipation,power,strain', 'dissipation,power,strain,toolWear']

const dataset = await loadDataset(file)
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

function measure (spec, contamination) {
  const runs = SEEDS.map((seed) => trainOnDataset(dataset, { features: spec, seed, contamination }).evaluation)
  return {
    auc: mean(runs.map((e) => e.auc)),
    ap: mean(runs.map((e) => e.ap)),
    f1: mean(runs.map((e) => e.f1)),
    precision: mean(runs.map((e) => e.precision)),
    recall: mean(runs.map((e) => e.recall)),
    perMode: runs[0].perMode.map((m, i) => ({ mode: m.mode, rows: m.rows, recall: mean(runs.map((e) => e.perMode[i].recall)) }))
  }
}

const f = (v) => v.toFixed(3)
// Held out: 5 contiguous folds in time order; train on four (labels unused), score the fifth.
function pick (ds, keep) {
  const rows = []
  for (let i = 0; i < ds.rows; i++) if (keep(i)) rows.push(i)
  const take = (v) => { const out = new v.constructor(rows.length); rows.forEach((j, i) => { out[i] = v[j] }); return out }
  return { ...ds, rows: rows.length, readings: Object.fromEntries(Object.entries(ds.readings).map(([k, v]) => [k, take(v)])), machine: take(ds.machine), ts: take(ds.ts), label: take(ds.label), modes: take(ds.modes) }
}
const FOLDS = 5
const fold = (i) => Math.floor(i * FOLDS / dataset.rows)
function crossValidate (spec, contamination) {
  const runs = []
  for (let k = 0; k < FOLDS; k++) {
    const train = pick(dataset, (i) => fold(i) !== k)
    const test = pick(dataset, (i) => fold(i) === k)
    for (const seed of SEEDS) {
      const { model } = trainOnDataset(train, { features: spec, seed, contamination })
      runs.push(evaluateScores(model.forest.scoreBatch(buildFeatureMatrix(test, spec)), test.label, test.modes, model.threshold))
    }
  }
  return { auc: mean(runs.map((e) => e.auc)), ap: mean(runs.map((e) => e.ap)), f1: mean(runs.map((e) => e.f1)) }
}

console.log(`Measured on ${dataset.rows} rows (${mean(Array.from(dataset.label)) * dataset.rows} failures), contamination ${DEFAULT_CONTAMINATION}, mean of ${SEEDS.length} seeds.\n`)
console.log('| feature set | features | ROC-AUC | AP | F1 | precision | recall |')
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
for (const [text, what] of SETS) {
  const spec = parseFeatureSpec(text)
  const m = measure(spec, DEFAULT_CONTAMINATION)
  console.log(`| ${what} | \`${spec.features.join(', ')}\`${spec.window > 1 && spec.features.some((x) => x.includes('.')) ? ` (window ${spec.window})` : ''} | ${f(m.auc)} | ${f(m.ap)} | ${f(m.f1)} | ${f(m.precision)} | ${f(m.recall)} |`)
}
console.log('\nContamination (share of rows flagged) for the default feature set:\n')
console.log('| contamination | precision | recall | F1 | F1, cross-validated |')
console.log('| ---: | ---: | ---: | ---: | ---: |')
for (const c of [0.02, 0.03, 0.034, 0.04, 0.05, 0.06, 0.08]) {
  const m = measure(parseFeatureSpec('default'), c)
  console.log(`| ${c} | ${f(m.precision)} | ${f(m.recall)} | ${f(m.f1)} | ${f(crossValidate(parseFeatureSpec('default'), c).f1)} |`)
}
console.log('\nRecall per failure mode, default features, contamination ' + DEFAULT_CONTAMINATION + ':\n')
const d = measure(parseFeatureSpec('default'), DEFAULT_CONTAMINATION)
const o = measure(parseFeatureSpec('original'), DEFAULT_CONTAMINATION)
console.log('| mode | rows | default | original design |')
console.log('| --- | ---: | ---: | ---: |')
d.perMode.forEach((m, i) => console.log(`| ${m.mode} | ${m.rows} | ${f(m.recall)} | ${f(o.perMode[i].recall)} |`))

console.log(`\nHeld out: ${FOLDS}-fold cross-validation, contiguous folds in time order (train on four without labels, score the fifth), mean over folds and seeds:\n`)
console.log('| features | ROC-AUC | AP | F1 |')
console.log('| --- | ---: | ---: | ---: |')
for (const text of CV_SETS) {
  const spec = parseFeatureSpec(text)
  const m = crossValidate(spec, DEFAULT_CONTAMINATION)
  console.log(`| \`${spec.features.join(', ')}\` | ${f(m.auc)} | ${f(m.ap)} | ${f(m.f1)} |`)
}

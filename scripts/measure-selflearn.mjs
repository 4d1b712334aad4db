#!/usr/bin/env node
// Measures forest sizes for self-learned baselines on simulated pumps (the example profile's `pump`, 15
// features) and prints the Markdown table of docs/self-learning.md. Each of 10 pumps learns from its first
// 2,000 readings and is scored on its next 5,000 (normal) and on the same readings with a fault added to
// the features: bearing wear (vibration +0.3 mm/s, about 4 times its noise) and motor overload (current
// +3 A, about 5 times its noise), each with its window mean following.
// Usage: npm run build && node scripts/measure-selflearn.mjs
import { resolve } from 'node:path'
import { learnBaseline, serializeBaseline } from '@factory-edge/edge-detector/baseline'
import { loadProfiles } from '@factory-edge/shared/profiles'
import { pumpFeatureRows } from '@factory-edge/test-support/readings'

const profile = loadProfiles(resolve(import.meta.dirname, '../config/profiles.example.yaml')).byName('pump')
const spec = profile.features
const n = spec.features.length
const MACHINES = 10
const LEARN = 2000
const FRESH = 5000
const CONFIGS = [[100, 256], [64, 256], [40, 256], [32, 256], [24, 256], [16, 256], [64, 128], [32, 128], [64, 64]]
const FAULTS = [
  ['bearing wear', ['vibrationRms', 'vibrationRms.mean'], 0.3],
  ['motor overload', ['motorCurrent', 'motorCurrent.mean'], 3]
]

/** Probability that a random faulty row scores above a random normal one. */
function auc (positive, negative) {
  const all = [...Array.from(positive, (s) => [s, 1]), ...Array.from(negative, (s) => [s, 0])].sort((a, b) => a[0] - b[0])
  let rankSum = 0
  for (let i = 0; i < all.length;) {
    let j = i
    while (j < all.length && all[j][0] === all[i][0]) j++
    const rank = (i + j + 1) / 2
    for (let k = i; k < j; k++) if (all[k][1] === 1) rankSum += rank
    i = j
  }
  return (rankSum - positive.length * (positive.length + 1) / 2) / (positive.length * negative.length)
}

const over = (scores, threshold) => scores.filter((s) => s > threshold).length / scores.length
const streams = Array.from({ length: MACHINES }, (_, m) => pumpFeatureRows(profile, LEARN + FRESH, 500 + m))
const faulty = streams.map((stream) => FAULTS.map(([, features, by]) => {
  const rows = stream.slice(LEARN * n)
  const columns = features.map((f) => spec.features.indexOf(f))
  for (let r = 0; r < FRESH; r++) for (const c of columns) rows[r * n + c] += by
  return rows
}))

console.log(`| trees × ψ | ${FAULTS.map(([name]) => `AUC ${name}`).join(' | ')} | normal readings over the threshold | faulty readings over the threshold | file (KB, largest) | learn (ms, median) |`)
console.log(`| --- | ${FAULTS.map(() => '---').join(' | ')} | --- | --- | --- | --- |`)
for (const [trees, sampleSize] of CONFIGS) {
  const aucs = FAULTS.map(() => 0)
  let falseShare = 0
  let recall = 0
  let bytes = 0
  const times = []
  for (let m = 0; m < MACHINES; m++) {
    const machineId = `pump-${m}`
    const started = performance.now()
    const model = learnBaseline(spec, streams[m].subarray(0, LEARN * n), { machineId, profile, learnedAt: 0 }, { trees, sampleSize })
    times.push(performance.now() - started)
    bytes = Math.max(bytes, Buffer.byteLength(serializeBaseline(machineId, 'pump', model)))
    const normal = model.scoreBatch(streams[m].subarray(LEARN * n))
    falseShare += over(normal, model.threshold) / MACHINES
    FAULTS.forEach((_, f) => {
      const scores = model.scoreBatch(faulty[m][f])
      aucs[f] += auc(scores, normal) / MACHINES
      recall += over(scores, model.threshold) / (MACHINES * FAULTS.length)
    })
  }
  times.sort((a, b) => a - b)
  const pct = (x) => `${(100 * x).toFixed(2)} %`
  console.log(`| ${trees} × ${sampleSize} | ${aucs.map((a) => a.toFixed(3)).join(' | ')} | ${pct(falseShare)} | ${pct(recall)} | ${(bytes / 1024).toFixed(1)} | ${times[Math.floor(times.length / 2)].toFixed(1)} |`)
}

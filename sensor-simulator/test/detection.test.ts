import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_FEATURES, FeatureExtractor, trainModel } from '@factory-edge/shared/ml'
import { generateLabelledTelemetry, generateTelemetry, type FailureMode } from '../src/index.js'

test('a forest trained on healthy generated data (project defaults) flags every injected failure within its build-up', () => {
  const extractor = new FeatureExtractor(DEFAULT_FEATURES)
  // Many short machines: the air temperature wanders slowly (as in AI4I), so few long ones would cover only part of its range.
  const training = generateTelemetry({ machines: 100, readingsPerMachine: 100, seed: 100 })
  const model = trainModel(DEFAULT_FEATURES, extractor.rows(training), { seed: 1, contamination: 0.04 })

  const latency: Record<string, number[]> = {}
  let healthyFlagged = 0
  let healthy = 0
  for (const mode of ['HDF', 'PWF', 'OSF', 'TWF'] as FailureMode[]) {
    for (let seed = 1; seed <= 5; seed++) {
      const labelled = [...generateLabelledTelemetry({ machines: 1, readingsPerMachine: 140, seed: 1000 + seed, scenarios: [{ mode, machineId: 'machine-1', atMs: 100_000 }] })]
      const rows = extractor.rows(labelled.map((l) => l.telemetry))
      const scores = model.scoreBatch(rows)
      let first = -1
      for (let i = 100; i < labelled.length && first === -1; i++) if (scores[i] > model.threshold) first = i - 100
      ;(latency[mode] ??= []).push(first)
    }
  }
  const healthyScores = model.scoreBatch(extractor.rows(generateTelemetry({ machines: 10, readingsPerMachine: 500, seed: 7 })))
  for (const score of healthyScores) {
    healthy++
    if (score > model.threshold) healthyFlagged++
  }
  for (const [mode, list] of Object.entries(latency)) {
    assert.ok(list.every((l) => l >= 0 && l <= 15), `${mode}: readings until flagged ${JSON.stringify(list)}`)
  }
  // The project trains with contamination 0.04, so about 4 % of healthy readings score over the threshold.
  assert.ok(healthyFlagged / healthy < 0.08, `${healthyFlagged} of ${healthy} healthy readings flagged`)
})

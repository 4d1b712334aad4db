#!/usr/bin/env node
// How quickly the project's default model sees each injected failure: trains an Isolation Forest on
// healthy generated readings (DEFAULT_FEATURES, contamination 0.04 as `edge-detector train`), injects each
// failure mode into fresh machines and counts the readings from the injection to the first score over the
// threshold. Writes the table into docs/simulator.md (between the detection markers), or prints it with --print.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_FEATURES, FeatureExtractor, trainModel } from '@factory-edge/shared/ml'
import { generateLabelledTelemetry, generateTelemetry } from '../dist/src/index.js'
import { writeDocSection } from './doc-section.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SEEDS = 40
const AT = 120
const extractor = new FeatureExtractor(DEFAULT_FEATURES)

const featureRows = (readings) => extractor.rows(readings)

const model = trainModel(DEFAULT_FEATURES, featureRows(generateTelemetry({ machines: 100, readingsPerMachine: 100, seed: 100 })), { seed: 1, contamination: 0.04 })
const healthy = model.scoreBatch(featureRows(generateTelemetry({ machines: 50, readingsPerMachine: 1000, seed: 7 })))
const fp = healthy.filter((s) => s > model.threshold).length / healthy.length

const lines = [
  `Model: ${DEFAULT_FEATURES.features.join(', ')} (window ${DEFAULT_FEATURES.window}), 100 trees, contamination 0.04, trained on 100 healthy machines × 100 readings; threshold ${model.threshold.toFixed(3)}. ` +
  `Each mode injected at reading ${AT} into ${SEEDS} machines (different seeds). Single readings, no k-of-m smoothing. ` +
  `Healthy readings over the threshold: ${(100 * fp).toFixed(1)} % (50 machines × 1,000 readings).`,
  '',
  '| mode | detected | readings to first detection: median | 90 % | max | readings over the threshold while failing |',
  '| --- | ---: | ---: | ---: | ---: | ---: |'
]
for (const mode of ['HDF', 'PWF', 'OSF', 'TWF', 'RNF']) {
  const latencies = []
  let over = 0
  let failing = 0
  for (let seed = 1; seed <= SEEDS; seed++) {
    const labelled = [...generateLabelledTelemetry({ machines: 1, readingsPerMachine: AT + 60, seed: 5000 + seed, scenarios: [{ mode, machineId: 'machine-1', atMs: AT * 1000 }] })]
    const scores = model.scoreBatch(featureRows(labelled.map((l) => l.telemetry)))
    let first = -1
    for (let i = AT; i < labelled.length; i++) {
      if (labelled[i].failure !== mode) continue
      failing++
      if (scores[i] > model.threshold) {
        over++
        if (first === -1) first = i - AT
      }
    }
    if (first !== -1) latencies.push(first)
  }
  latencies.sort((a, b) => a - b)
  const q = (p) => latencies.length === 0 ? '–' : String(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))])
  lines.push(`| ${mode} | ${latencies.length} / ${SEEDS} | ${q(0.5)} | ${q(0.9)} | ${latencies.length === 0 ? '–' : latencies.at(-1)} | ${(100 * over / failing).toFixed(0)} % |`)
}
const table = lines.join('\n')
if (process.argv.includes('--print')) process.stdout.write(table + '\n')
else writeDocSection(join(root, 'docs/simulator.md'), 'detection', table)

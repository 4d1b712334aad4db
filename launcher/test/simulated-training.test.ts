// `sensor-simulator generate` then `edge-detector train --csv` replaces `edge-detector train --synthetic`:
// the same readings make the same model as the launcher's first model.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { trainSynthetic } from '@factory-edge/edge-detector/training'
import { loadModel } from '@factory-edge/shared/ml'
import { simulatedReadings } from '../src/simulated-readings.js'

const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const SIMULATOR = join(REPO, 'sensor-simulator/dist/src/bin/sensor-simulator.js')
const DETECTOR = join(REPO, 'edge-detector/dist/src/bin/edge-detector.js')

test('a model trained on generated readings is the one trained on the simulated readings in process', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'simulated-training-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const readings = join(dir, 'readings.ndjson')
  execFileSync(process.execPath, [SIMULATOR, 'generate', '--readings', '3000', '--machines', '10', '--seed', '5', '--out', readings])
  execFileSync(process.execPath, [DETECTOR, 'train', '--csv', readings, '--seed', '5', '--trees', '20', '--out', join(dir, 'model.json'), '--log-level', 'warn'])
  const fromFile = await loadModel(join(dir, 'model.json'))
  const inProcess = (await trainSynthetic(3000, simulatedReadings, { seed: 5, trees: 20 })).model
  assert.equal(fromFile.version, inProcess.version)
  assert.equal(fromFile.threshold, inProcess.threshold)
})

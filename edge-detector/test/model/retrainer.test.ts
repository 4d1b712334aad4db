import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { loadModel, Random, type Model } from '@factory-edge/shared/ml'
import { DetectorPipeline } from '../../src/pipeline/pipeline.js'
import { Retrainer } from '../../src/model/retrainer.js'
import { anomalousReading, normalReading, payload, writeTestModel } from '@factory-edge/test-support/readings'
import { RecordingSink } from '../helpers/recording-sink.js'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { quietLogger } from '../helpers/services.js'

test('retraining uses recent normal readings only, writes a versioned file, keeps the last N and swaps atomically', async (t) => {
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const modelPath = join(dir, 'model.json')
  const modelsDir = join(dir, 'models')
  const original = await writeTestModel(modelPath)
  const pipeline = new DetectorPipeline({ model: original, sink: new RecordingSink(), reservoirSize: 500, alert: { k: 2, m: 3, cooldownMs: 0 } })
  const swapped: Model[] = []
  const retrainer = new Retrainer({ modelsDir, keep: 2, minRows: 100 }, pipeline, modelPath, (m) => { swapped.push(m); pipeline.setModel(m) }, quietLogger())
  const random = new Random(21)
  let seq = 0
  const feed = (n: number, anomalous = false): void => {
    for (let i = 0; i < n; i++, seq++) {
      const ts = 1_000_000 + seq * 1000
      pipeline.process('factory/m1/telemetry', payload(anomalous ? anomalousReading('m1', seq, ts) : normalReading('m1', seq, ts, random)))
    }
  }
  feed(50)
  assert.equal(await retrainer.run(), undefined, 'too few rows: no retraining')
  feed(5, true)
  const afterAnomalies = pipeline.reservoir?.size
  feed(30, true)
  assert.equal(pipeline.reservoir?.size, afterAnomalies, 'anomalous readings stay out of the training set')
  feed(200)
  const versions: string[] = []
  for (let round = 0; round < 3; round++) {
    const model = await retrainer.run()
    assert.ok(model !== undefined)
    versions.push(model.version)
    assert.equal(pipeline.model?.version, model.version, 'swapped in')
    assert.equal((await loadModel(modelPath)).version, model.version, 'model.json replaced')
    assert.deepEqual(model.featureSpec, original.featureSpec)
    assert.match(model.training.source, /retrained on \d+ recent non-anomalous readings/)
    feed(100)
  }
  assert.equal(new Set(versions).size, 3, 'new data, new version')
  const files = (await readdir(modelsDir)).sort()
  assert.deepEqual(files, versions.slice(1).map((v) => `${v}.json`).sort(), 'only the last two versions are kept')
  assert.equal(swapped.length, 3)
})

test('scheduled retraining runs on its cron expression; a bad expression is refused', async (t) => {
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const modelPath = join(dir, 'model.json')
  const original = await writeTestModel(modelPath)
  const pipeline = new DetectorPipeline({ model: original, sink: new RecordingSink() })
  assert.throws(() => new Retrainer({ cron: 'every day' }, pipeline, modelPath, () => {}, quietLogger()), /invalid retrain cron expression "every day"/)
  const random = new Random(4)
  for (let i = 0; i < 150; i++) pipeline.process('factory/m1/telemetry', payload(normalReading('m1', i, 1_000_000 + i * 1000, random)))
  const retrainer = new Retrainer({ cron: '* * * * * *', minRows: 100 }, pipeline, modelPath, (m) => pipeline.setModel(m), quietLogger())
  retrainer.start()
  t.after(() => retrainer.stop())
  await eventually(() => pipeline.model !== original, 10_000, 'a scheduled retraining')
  assert.equal((await readdir(join(dir, 'models'))).length, 1)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  trainModel, serializeModel, parseModel, saveModel, loadModel, writeFileAtomic, ModelFileError,
  MODEL_FORMAT_VERSION, type FeatureSpec
} from '../../src/ml.js'
import { loadParityFixture } from '../forest/fixture.js'

const { data } = loadParityFixture()
const spec: FeatureSpec = { window: 1, features: ['airTemperature', 'temperature', 'rpm', 'torque', 'toolWear'] }
const createdAt = '2026-01-01T00:00:00.000Z'
const model = trainModel(spec, data, { nEstimators: 40, seed: 11, contamination: 0.03 }, { source: 'sklearn-parity fixture', createdAt })
const text = serializeModel(model)

function withTempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  return mkdtemp(join(tmpdir(), 'forest-model-')).then((dir) => {
    t.after(async () => await rm(dir, { recursive: true, force: true }))
    return dir
  })
}

test('same data, options, seed and createdAt give a byte-identical model file', () => {
  const again = trainModel(spec, data, { nEstimators: 40, seed: 11, contamination: 0.03 }, { source: 'sklearn-parity fixture', createdAt })
  assert.equal(serializeModel(again), text)
  assert.equal(again.version, model.version)
  const other = trainModel(spec, data, { nEstimators: 40, seed: 12, contamination: 0.03 }, { source: 'sklearn-parity fixture', createdAt })
  assert.notEqual(other.version, model.version)
})

test('the file round-trips: same scores, threshold, spec, summary and bytes', () => {
  const loaded = parseModel(text)
  assert.equal(loaded.version, model.version)
  assert.equal(loaded.threshold, model.threshold)
  assert.deepEqual(loaded.featureSpec, spec)
  assert.deepEqual(loaded.summary, model.summary)
  assert.deepEqual(loaded.forest.options, model.forest.options)
  assert.deepEqual(loaded.forest.scoreBatch(data), model.forest.scoreBatch(data))
  assert.equal(serializeModel(loaded), text)
})

test('the file records what the model was trained on', () => {
  const doc = JSON.parse(text)
  assert.equal(doc.formatVersion, MODEL_FORMAT_VERSION)
  assert.equal(doc.createdAt, createdAt)
  assert.equal(doc.seed, 11)
  assert.equal(doc.threshold, model.threshold)
  assert.equal(doc.training.rows, data.length / 5)
  assert.equal(doc.training.features.length, 5)
  const torque = doc.training.features[3]
  assert.equal(torque.name, 'torque')
  assert.equal(torque.unit, 'Nm')
  assert.ok(torque.min < torque.mean && torque.mean < torque.max && torque.std > 0)
})

test('saveModel writes atomically and loadModel reads it back', async (t) => {
  const dir = await withTempDir(t)
  const path = join(dir, 'models', 'model.json')
  await saveModel(path, model)
  await saveModel(path, model)
  assert.deepEqual(await readdir(join(dir, 'models')), ['model.json'], 'no temporary files left behind')
  assert.equal(await readFile(path, 'utf8'), text)
  assert.equal((await loadModel(path)).version, model.version)
})

test('a failed atomic write leaves the old file alone and no temporary file', async (t) => {
  const dir = await withTempDir(t)
  await writeFile(join(dir, 'keep.txt'), 'old')
  // Renaming a file over a non-empty directory fails after the temporary file was written.
  await mkdir(join(dir, 'target', 'inside'), { recursive: true })
  await assert.rejects(writeFileAtomic(join(dir, 'target'), 'new'))
  assert.deepEqual((await readdir(dir)).sort(), ['keep.txt', 'target'])
  assert.equal(await readFile(join(dir, 'keep.txt'), 'utf8'), 'old')
})

test('loadModel names a missing file', async (t) => {
  const dir = await withTempDir(t)
  await assert.rejects(loadModel(join(dir, 'nope.json')), (err: Error) => err instanceof ModelFileError && /nope\.json does not exist/.test(err.message))
})

function rejects (content: string, pattern: RegExp): void {
  assert.throws(() => parseModel(content), (err: Error) => {
    assert.ok(err instanceof ModelFileError, `${err.name}: ${err.message}`)
    assert.match(err.message, pattern)
    return true
  })
}

function edit (change: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(text)
  change(doc)
  return JSON.stringify(doc)
}

test('corrupt, truncated and incompatible files get an error naming the problem', () => {
  rejects('', /not valid JSON/)
  rejects(text.slice(0, Math.floor(text.length / 2)), /not valid JSON \(truncated or corrupt\?\)/)
  rejects('[1, 2]', /not a factory-edge model file/)
  rejects(edit((d) => { d.format = 'something-else' }), /not a factory-edge model file/)
  rejects(edit((d) => { d.formatVersion = MODEL_FORMAT_VERSION + 1 }), new RegExp(`format version ${MODEL_FORMAT_VERSION + 1} is not supported`))
  rejects(edit((d) => { delete d.threshold }), /"threshold" must be a finite number/)
  rejects(edit((d) => { d.featureSpec.features[0] = 'vibration' }), /unknown signal "vibration"/)
  rejects(edit((d) => { d.featureSpec.features.pop() }), /features/)
  rejects(edit((d) => { delete d.forest }), /"forest" must be an object/)
  rejects(edit((d) => { delete d.version }), /"version" must be a string/)
  rejects(edit((d) => { d.threshold = 0.7 }), /does not match its version/)
  rejects(edit((d) => { d.training.features[1].name = 'rpm' }), /training.features\[1\] describes "rpm", featureSpec names "temperature"/)
  rejects(edit((d) => { d.training.features.pop() }), /must list the 5 features/)
  rejects(edit((d) => { d.training.features[0].std = null }), /"std" must be a finite number in training.features\[0\]/)
  rejects(edit((d) => { d.options.nEstimators = 41 }), /invalid forest: forest has 40 trees but options.nEstimators is 41/)
  rejects(edit((d) => { d.forest.sampleSize = 128 }), /invalid forest: tree 0 splits below the height limit 7/)
})

test('altered or cut tree data is detected', () => {
  const doc = JSON.parse(text)
  const arrays = Object.entries(doc.forest).filter(([, v]) => typeof v === 'string') as Array<[string, string]>
  assert.ok(arrays.length > 0)
  for (const [name, value] of arrays) {
    rejects(edit((d) => { d.forest[name] = value.slice(0, Math.floor(value.length / 2)) }), /truncated or corrupt|invalid|outside|does not match/)
  }
  // Same length, different content: either the structure check or the content hash catches it.
  const [name, value] = arrays[arrays.length - 1]
  const i = Math.floor(value.length / 2)
  const flipped = value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1)
  rejects(edit((d) => { d.forest[name] = flipped }), /does not match its version|invalid|outside|non-finite|splits on/)
})

test('a model over a profile\'s signals is described, saved and read back with the profile\'s catalog', () => {
  const catalog = {
    flow: { unit: 'm³/h', description: 'Volume flow' },
    dischargePressure: { unit: 'bar', description: 'Discharge pressure' }
  }
  const pumpSpec: FeatureSpec = { window: 30, features: ['flow', 'flow.std', 'dischargePressure'] }
  const rows = data.subarray(0, 300 * 3)
  assert.throws(() => trainModel(pumpSpec, rows, { nEstimators: 5 }, { createdAt }), /unknown signal "flow"/)
  const pump = trainModel(pumpSpec, rows, { nEstimators: 5, seed: 3 }, { createdAt, catalog, source: 'pump-1', dropped: 4 })
  assert.deepEqual(pump.summary.map((s) => [s.name, s.unit, s.description]), [
    ['flow', 'm³/h', 'Volume flow'],
    ['flow.std', 'm³/h', 'Volume flow, standard deviation over the window'],
    ['dischargePressure', 'bar', 'Discharge pressure']
  ])
  assert.deepEqual(pump.training, { rows: 300, source: 'pump-1', dropped: 4 })
  const pumpText = serializeModel(pump)
  assert.throws(() => parseModel(pumpText), (err: unknown) => err instanceof ModelFileError && /unknown signal "flow"/.test(err.message))
  const back = parseModel(pumpText, catalog)
  assert.equal(back.version, pump.version)
  assert.deepEqual(back.training, pump.training)
  assert.equal(serializeModel(back), pumpText)
  const noDrops = trainModel(pumpSpec, rows, { nEstimators: 5, seed: 3 }, { createdAt, catalog, source: 'pump-1', dropped: 0 })
  assert.equal('dropped' in JSON.parse(serializeModel(noDrops)).training, false, 'no "dropped" key when nothing was dropped')
  const bad = JSON.parse(pumpText)
  bad.training.dropped = -1
  assert.throws(() => parseModel(JSON.stringify(bad), catalog), /"dropped" must be a non-negative integer/)
})

test('a model file read into the compact layout scores exactly as the one read into the fast layout', () => {
  const compact = parseModel(text, undefined, 'compact')
  assert.equal(compact.forest.layoutMode, 'compact')
  assert.equal(parseModel(text).forest.layoutMode, 'fast')
  assert.equal(compact.version, model.version)
  assert.deepEqual(compact.scoreBatch(data), model.scoreBatch(data))
  assert.equal(serializeModel(compact), text)
})

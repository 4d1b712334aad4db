import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { serializeModel } from '@factory-edge/shared/ml'
import { pumpFeatureRows } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { BaselineFileError, type BaselineProblem } from '../../src/errors.js'
import { learnBaseline } from '../../src/baseline/learner.js'
import { BaselineStore, parseBaseline, serializeBaseline } from '../../src/baseline/store.js'
import type { BaselineReset } from '../../src/baseline/reset-requests.js'
import { pumpProfile } from './fixtures.js'

const profile = pumpProfile()
const n = profile.features.features.length
const rows = pumpFeatureRows(profile, 1000, 3)
const model = learnBaseline(profile.features, rows, { machineId: 'pump-7', profile, learnedAt: 1_767_226_600_000 })
const other = learnBaseline(profile.features, rows, { machineId: 'pump-8', profile, learnedAt: 1_767_226_600_000 })

async function store (t: TestContext): Promise<BaselineStore> {
  const temp = await tempDir('baseline-store-')
  t.after(temp.cleanup)
  return new BaselineStore(join(temp.dir, 'models'))
}

async function refused (promise: Promise<unknown>, problem: BaselineProblem, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof BaselineFileError, String(err))
    assert.equal(err.problem, problem)
    assert.equal(err.code, 'ERR_BASELINE_FILE')
    assert.equal(err.exitCode, 1)
    assert.match(err.message, message)
    return true
  })
}

test('a saved baseline loads back as the same model, from one file per machine under its profile', async (t) => {
  const s = await store(t)
  assert.equal(await s.load('pump-7', profile), undefined, 'no file: no baseline')
  const path = await s.save('pump-7', profile, model)
  assert.equal(path, join(s.modelsDir, 'baselines', 'pump', 'pump-7.json'))
  const loaded = await s.load('pump-7', profile)
  assert.ok(loaded !== undefined)
  assert.equal(loaded.version, model.version)
  assert.equal(loaded.threshold, model.threshold)
  assert.equal(loaded.forest.layoutMode, 'compact', 'a detector holds thousands: the memory-saving layout')
  assert.deepEqual(loaded.scoreBatch(rows), model.scoreBatch(rows))
  assert.equal(serializeModel(loaded), serializeModel(model))
  const text = await readFile(path, 'utf8')
  assert.equal(text, serializeBaseline('pump-7', 'pump', model))
  const doc = JSON.parse(text)
  assert.deepEqual([doc.format, doc.formatVersion, doc.machineId, doc.profile, doc.model.format], ['factory-edge/baseline', 1, 'pump-7', 'pump', 'factory-edge/isolation-forest'])
  assert.ok(Buffer.byteLength(text) <= 50 * 1024, `${Buffer.byteLength(text)} bytes`)
  assert.deepEqual(await readdir(join(s.dir, 'pump')), ['pump-7.json'], 'no temporary file is left')
})

test('a reader never sees part of a baseline: saves go through a temporary file renamed over the old one', async (t) => {
  const s = await store(t)
  const path = await s.save('pump-7', profile, model)
  // The other machine's model under this machine's name: a different file of about the same size.
  const versions = new Set([model.version, other.version])
  const writing = { on: true }
  let reads = 0
  const reader = (async () => {
    while (writing.on) {
      const text = await readFile(path, 'utf8')
      // Parsing fails on a partial file; either complete version is fine.
      const doc = JSON.parse(text)
      assert.ok(versions.has(doc.model.version))
      reads++
    }
  })()
  for (let i = 0; i < 60; i++) await s.save('pump-7', profile, i % 2 === 0 ? other : model)
  writing.on = false
  await reader
  assert.ok(reads > 0)
  assert.deepEqual(await readdir(join(s.dir, 'pump')), ['pump-7.json'])
  const names = (await s.list()).map((e) => e.machineId)
  assert.deepEqual(names, ['pump-7'], 'a temporary file would be hidden from list() by its leading dot')
})

test('a truncated, corrupt, altered or foreign file is refused with a BaselineFileError saying what is wrong', async (t) => {
  const s = await store(t)
  const path = await s.save('pump-7', profile, model)
  const text = await readFile(path, 'utf8')
  const write = async (content: string): Promise<void> => await writeFile(path, content)

  await write(text.slice(0, Math.floor(text.length / 2)))
  await refused(s.load('pump-7', profile), 'corrupt', /pump-7\.json: not valid JSON \(truncated or corrupt\?\)/)
  await write('')
  await refused(s.load('pump-7', profile), 'corrupt', /not valid JSON/)
  await write('{"format":"factory-edge/isolation-forest"}')
  await refused(s.load('pump-7', profile), 'corrupt', /not a baseline file: format is "factory-edge\/isolation-forest"/)

  const doc = JSON.parse(text)
  const edit = async (change: (d: any) => void): Promise<void> => {
    const d = JSON.parse(text)
    change(d)
    await write(JSON.stringify(d))
  }
  await edit((d) => { d.formatVersion = 2 })
  await refused(s.load('pump-7', profile), 'version', /baseline format version 2 is not supported; this build reads version 1/)
  await edit((d) => { d.model.formatVersion = 1 })
  await refused(s.load('pump-7', profile), 'version', /model format version 1 is not supported/)
  await edit((d) => { d.model.threshold = 0.1 })
  await refused(s.load('pump-7', profile), 'corrupt', /does not match its version .* altered or is corrupt/)
  await edit((d) => { d.model.forest.splits = d.model.forest.splits.slice(0, 100) })
  await refused(s.load('pump-7', profile), 'corrupt', /forest\.splits/)
  await edit((d) => { delete d.model })
  await refused(s.load('pump-7', profile), 'corrupt', /"model" must be an object/)

  // Files in the wrong place.
  await write(text)
  await mkdir(join(s.dir, 'press'), { recursive: true })
  await copyFile(path, join(s.dir, 'press', 'pump-7.json'))
  await refused(s.load('pump-7', { ...profile, name: 'press' }), 'profile', /was learned under profile "pump", not press/)
  await copyFile(path, join(s.dir, 'pump', 'pump-9.json'))
  await refused(s.load('pump-9', profile), 'machine', /holds the baseline of machine "pump-7", not of pump-9/)
  // The profile's features changed since the machine learned.
  const changed = { ...profile, features: { window: 30, features: profile.features.features.slice(0, 6) } }
  await refused(s.load('pump-7', changed), 'features', /learned with features \[flow, flow\.mean, .*\] over 30 readings, profile pump now computes \[flow, flow\.mean, dischargePressure, dischargePressure\.mean, motorCurrent, motorCurrent\.mean\] over 30 readings/)
  assert.equal(doc.model.featureSpec.features.length, n)
  assert.ok(await s.load('pump-7', profile), 'the good file still loads')
  // A directory where the file should be cannot be read.
  await mkdir(join(s.dir, 'pump', 'pump-5.json'))
  await refused(s.load('pump-5', profile), 'corrupt', /cannot read the baseline/)
})

test('parseBaseline reads a file of any profile\'s signals without the profile; the store refuses ids that are no file names', async (t) => {
  const s = await store(t)
  const parsed = parseBaseline(serializeBaseline('pump-7', 'pump', model), 'pump-7', 'pump', 'x.json')
  assert.equal(parsed.version, model.version)
  assert.deepEqual(parsed.summary, model.summary)
  assert.throws(() => s.pathOf('../etc/passwd', 'pump'), RangeError)
  assert.throws(() => s.pathOf('pump-1', '../x'), RangeError)
  await assert.rejects(s.reset('pump/1'), RangeError)
})

test('reset removes one profile\'s or every profile\'s baseline of a machine; list shows what is left', async (t) => {
  const s = await store(t)
  assert.deepEqual(await s.list(), [], 'no directory yet: nothing listed')
  await s.save('pump-7', profile, model)
  await s.save('pump-8', profile, other)
  await s.save('pump-7', { name: 'spare' }, model)
  const listed = await s.list()
  assert.deepEqual(listed.map((e) => `${e.profile}/${e.machineId}`), ['pump/pump-7', 'pump/pump-8', 'spare/pump-7'])
  assert.ok(listed.every((e) => e.bytes > 1000 && e.modifiedAt instanceof Date && e.path.endsWith(`${e.machineId}.json`)))
  assert.deepEqual(await s.reset('pump-7', 'spare'), [join(s.dir, 'spare', 'pump-7.json')])
  assert.deepEqual((await s.list()).map((e) => `${e.profile}/${e.machineId}`), ['pump/pump-7', 'pump/pump-8'])
  await s.save('pump-7', { name: 'spare' }, model)
  assert.deepEqual(await s.reset('pump-7'), [join(s.dir, 'pump', 'pump-7.json'), join(s.dir, 'spare', 'pump-7.json')])
  assert.deepEqual((await s.list()).map((e) => `${e.profile}/${e.machineId}`), ['pump/pump-8'])
  assert.equal(await s.load('pump-7', profile), undefined)
  assert.deepEqual(await s.reset('pump-7'), [], 'nothing left to remove')
  const requests = await readdir(join(s.dir, '.resets'))
  assert.deepEqual(requests, ['pump-7.json'], 'one request per machine, the latest')
})

/** The watcher's next report; the timer also keeps the test alive, since the watcher's own are unref'd. */
async function nextReset (watcher: ReturnType<BaselineStore['watchResets']>, ms = 5000): Promise<BaselineReset> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(new Error(`no reset reported within ${ms} ms`)), ms)
  try {
    const [reset] = await once(watcher, 'reset', { signal: abort.signal }) as [BaselineReset]
    return reset
  } finally {
    clearTimeout(timer)
  }
}

for (const mode of ['fs.watch', 'polling'] as const) {
  test(`a running detector's watcher reports a reset made through another store on the same directory (${mode})`, async (t) => {
    const s = await store(t)
    await s.save('pump-7', profile, model)
    // An old request, made before the watcher started, is not reported.
    await s.reset('pump-3')
    await new Promise((resolve) => setTimeout(resolve, 5))
    const watcher = s.watchResets(mode === 'fs.watch' ? { pollMs: 3_600_000 } : { watch: false, pollMs: 30 })
    const seen: BaselineReset[] = []
    watcher.on('reset', (r) => seen.push(r))
    await watcher.start()
    t.after(async () => await watcher.stop())
    assert.equal(watcher.watching, mode === 'fs.watch')
    assert.equal(seen.length, 0)

    const cli = new BaselineStore(s.modelsDir)
    const before = Date.now()
    const first = nextReset(watcher)
    await cli.reset('pump-7', 'pump')
    const reset = await first
    assert.equal(reset.machineId, 'pump-7')
    assert.equal(reset.profile, 'pump')
    assert.ok(reset.requestedAt >= before)
    assert.equal(await s.load('pump-7', profile), undefined)

    const second = nextReset(watcher)
    await cli.reset('pump-7')
    assert.deepEqual({ ...await second, requestedAt: 0 }, { machineId: 'pump-7', profile: undefined, requestedAt: 0 }, 'a second reset of the same machine is reported again')
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.deepEqual(seen.map((r) => r.machineId), ['pump-7', 'pump-7'], 'each request once')

    await watcher.stop()
    await cli.reset('pump-8')
    await new Promise((resolve) => setTimeout(resolve, 150))
    assert.equal(seen.length, 2, 'a stopped watcher reports nothing')
  })
}

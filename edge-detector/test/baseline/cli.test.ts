import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertOneLineExit } from '@factory-edge/test-support/child-process'
import { pumpFeatureRows } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { learnBaseline } from '../../src/baseline/learner.js'
import { BaselineStore } from '../../src/baseline/store.js'
import type { BaselineReset } from '../../src/baseline/reset-requests.js'
import { pumpProfile } from './fixtures.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '../../src/bin/edge-detector.js')
const profile = pumpProfile()
const rows = pumpFeatureRows(profile, 1000, 5)
rows[7] = NaN
const learnedAt = 1_767_229_200_000
const pump1 = learnBaseline(profile.features, rows, { machineId: 'pump-1', profile, learnedAt })
const pump2 = learnBaseline(profile.features, rows, { machineId: 'pump-2', profile, learnedAt })

interface Result { status: number | null, stdout: string, stderr: string }

/** Runs the command asynchronously, so that a watcher in this process keeps running meanwhile. */
async function run (args: string[], env: Record<string, string> = {}): Promise<Result> {
  const child = spawn(process.execPath, [bin, 'baseline', ...args], { env: { ...process.env, MODELS_DIR: '', MODEL_PATH: '', ...env } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += String(d) })
  child.stderr.on('data', (d) => { stderr += String(d) })
  const [status] = await once(child, 'close') as [number | null]
  return { status, stdout, stderr }
}

async function modelsWithTwoPumps (t: TestContext): Promise<BaselineStore> {
  const temp = await tempDir('baseline-cli-')
  t.after(temp.cleanup)
  const store = new BaselineStore(join(temp.dir, 'results', 'models'))
  await store.save('pump-1', profile, pump1)
  await store.save('pump-2', profile, pump2)
  return store
}

test('baseline list and show print the baselines of the models directory, as text or JSON', async (t) => {
  const store = await modelsWithTwoPumps(t)
  const list = await run(['list', '--models-dir', store.modelsDir])
  assert.equal(list.status, 0, list.stderr)
  const lines = list.stdout.trimEnd().split('\n')
  assert.match(lines[0], /^profile +machine +bytes +written$/)
  assert.match(lines[1], /^pump +pump-1 +\d{5} +\d{4}-\d\d-\d\dT/)
  assert.match(lines[2], /^pump +pump-2 +\d{5} /)
  assert.equal(lines[3], `2 baselines in ${store.dir}`)
  // Without --models-dir: models/ beside the model file, as the service.
  const byModel = await run(['list', '--json'], { MODEL_PATH: join(dirname(store.modelsDir), 'model.json') })
  assert.equal(byModel.status, 0, byModel.stderr)
  const entries = byModel.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(entries.map((e) => [e.profile, e.machineId, e.path]), [['pump', 'pump-1', store.pathOf('pump-1', 'pump')], ['pump', 'pump-2', store.pathOf('pump-2', 'pump')]])

  const show = await run(['show', 'pump-1'], { MODELS_DIR: store.modelsDir })
  assert.equal(show.status, 0, show.stderr)
  const text = show.stdout
  assert.match(text, new RegExp(`^pump-1, profile pump: ${store.pathOf('pump-1', 'pump').replace(/[.]/g, '\\.')} \\(\\d+ bytes, written `))
  assert.ok(text.includes(`model ${pump1.version}, learned 2026-01-01T01:00:00.000Z`))
  assert.ok(text.includes(`threshold ${Number(pump1.threshold.toPrecision(5))} (99.5th percentile of its own learning scores plus a margin`))
  assert.ok(text.includes('learned from 999 readings, 1 left out (a value that is not a finite number); learned by pump-1 (profile pump)'))
  assert.ok(text.includes(`forest: 32 trees of 256 readings, seed ${pump1.options.seed}`))
  assert.match(text, /\n {2}feature +unit +mean +std +min +max\n {2}flow +m³\/h +\d/)
  assert.match(text, /\n {2}vibrationRms\.mean +mm\/s +/)

  const json = await run(['show', 'pump-2', '--json', '--profile', 'pump', '--models-dir', store.modelsDir])
  assert.equal(json.status, 0, json.stderr)
  const doc = JSON.parse(json.stdout)
  assert.equal(doc.version, pump2.version)
  assert.equal(doc.threshold, pump2.threshold)
  assert.deepEqual(doc.training, { rows: 999, source: 'learned by pump-2 (profile pump)', dropped: 1 })
  assert.equal(doc.forest.quantile, 0.995)
  assert.equal(doc.features.length, profile.features.features.length)

  const empty = await run(['list', '--models-dir', join(store.modelsDir, 'nothing')])
  assert.equal(empty.stdout, `no baselines in ${join(store.modelsDir, 'nothing', 'baselines')}\n`)
})

test('baseline reset removes the file and a detector watching the models directory is told', async (t) => {
  const store = await modelsWithTwoPumps(t)
  const watcher = store.watchResets({ pollMs: 200 })
  await watcher.start()
  t.after(async () => await watcher.stop())
  const told = once(watcher, 'reset', { signal: AbortSignal.timeout(10_000) })
  const reset = await run(['reset', 'pump-1', '--models-dir', store.modelsDir])
  assert.equal(reset.status, 0, reset.stderr)
  assert.equal(reset.stdout, `removed ${store.pathOf('pump-1', 'pump')}; running detectors notice, and pump-1 learns again\n`)
  const [request] = await told as [BaselineReset]
  assert.equal(request.machineId, 'pump-1')
  assert.equal(request.profile, undefined)
  assert.equal(await store.load('pump-1', profile), undefined)
  assert.ok(await store.load('pump-2', profile), 'the other machine keeps its baseline')
  const again = await run(['reset', 'pump-1', '--profile', 'pump', '--models-dir', store.modelsDir])
  assert.equal(again.stdout, `pump-1 has no baseline under profile pump in ${store.dir}; running detectors that see it restart its learning\n`)
})

test('baseline: wrong calls exit 2, a machine without a usable baseline exits 1, each with one line', async (t) => {
  const store = await modelsWithTwoPumps(t)
  const dir = ['--models-dir', store.modelsDir]
  const cases: Array<[string[], number, RegExp]> = [
    [[], 2, /^edge-detector baseline: missing action: list, show, reset \(see --help\)$/],
    [['remove', 'pump-1'], 2, /unknown action "remove"; actions: list, show, reset/],
    [['show'], 2, /show needs a machine id: edge-detector baseline show <machineId>/],
    [['reset', '../pump-1'], 2, /"\.\.\/pump-1" is not a machine id/],
    [['list', 'pump-1'], 2, /list takes no machine id/],
    [['show', 'pump-1', 'pump-2'], 2, /unexpected argument "pump-2"/],
    [['show', 'pump-1', '--profile', 'a-b'], 2, /--profile/],
    [['show', 'pump-9'], 1, /^edge-detector baseline: pump-9 has no baseline in /]
  ]
  // In parallel: each is a node start on a shared machine.
  const results = await Promise.all(cases.map(async ([args]) => await run([...args, ...dir])))
  cases.forEach(([, code, message], i) => assertOneLineExit(results[i], code, message))
  await writeFile(store.pathOf('pump-2', 'pump'), '{"format":"factory-edge/baseline","formatV')
  assertOneLineExit(await run(['show', 'pump-2', ...dir]), 1, /pump-2\.json: not valid JSON \(truncated or corrupt\?\)/)
  const help = await run(['--help'])
  assert.equal(help.status, 0)
  assert.match(help.stdout, /^Usage: edge-detector baseline list/)
  for (const text of ['reset <machineId>', '--models-dir', 'MODELS_DIR', '--profile']) assert.ok(help.stdout.includes(text), text)
})

/**
 * Child of selflearn.bench.ts: a process holding `count` learned baselines loaded from disk through the
 * BaselineStore, plus each machine's state as the pipeline keeps it (its slot in a MachineTable and an
 * AlertTracker, its feature window, its value vector and feature row), after scoring one reading per
 * machine. Prints one JSON line: resident memory before and after (MB).
 * Usage: node --expose-gc selflearn-child.js <models-dir> <profiles-file> <count>
 */
import { AlertTracker, MachineTable } from '@factory-edge/edge-detector'
import { BaselineStore } from '@factory-edge/edge-detector/baseline'
import { FeatureExtractor, type MachineWindow, type Model } from '@factory-edge/shared/ml'
import { loadProfiles } from '@factory-edge/shared/profiles'

const [modelsDir, profilesFile, countText] = process.argv.slice(2)
const count = Number(countText)
const profile = loadProfiles(profilesFile).byName('pump')
if (profile === undefined) throw new Error(`${profilesFile} has no pump profile`)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

const settle = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return process.memoryUsage().rss / 1048576
}

const store = new BaselineStore(modelsDir)
const extractor = new FeatureExtractor<Float64Array>(profile.features, profile.catalog)
const table = new MachineTable(count)
const alerts = new AlertTracker(count)
const models: Model[] = []
const windows: MachineWindow[] = []
const values: Float64Array[] = []
const rows: Float64Array[] = []
const before = await settle()
let scored = 0
for (let m = 0; m < count; m++) {
  const id = `pump-${m}`
  const model = await store.load(id, profile)
  if (model === undefined) throw new Error(`no baseline of ${id} in ${modelsDir}`)
  const slot = table.lookup(id)
  models[slot] = model
  windows[slot] = extractor.createWindow()
  values[slot] = new Float64Array(profile.validator.size)
  rows[slot] = new Float64Array(extractor.size)
  const reading = { machineId: id, ts: 1_767_225_600_000, seq: 0, flow: 150, dischargePressure: 6.3, motorCurrent: 45, vibrationRms: 2.4, bearingTemperature: 62 }
  if (!profile.validator.validate(reading, values[slot]).ok) throw new Error('the reading was refused')
  extractor.push(windows[slot], values[slot], reading.ts, rows[slot])
  const score = model.score(rows[slot])
  alerts.update(slot, score, model.threshold, reading.ts)
  if (Number.isFinite(score)) scored++
}
const after = await settle()
process.stdout.write(JSON.stringify({ machines: table.size, scored, rssBeforeMb: before, rssMb: after, heapUsedMb: process.memoryUsage().heapUsed / 1048576 }) + '\n')

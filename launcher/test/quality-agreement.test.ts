// The quality benchmark runs the detector's pipeline offline; this checks that the service, fed the same
// readings through a real broker as a separate process, raises and clears the same alerts.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect } from 'mqtt'
import { allMachinesTopic, machineTopic, type AnomalyEvent } from '@factory-edge/shared/contract'
import { saveModel } from '@factory-edge/shared/ml'
import { createLogger } from '@factory-edge/shared/runtime'
import { startBroker } from '@factory-edge/broker'
import { inMemoryBaselines } from '@factory-edge/edge-detector'
import { trainSynthetic } from '@factory-edge/edge-detector/training'
import { loadProfiles, ProfileSet } from '@factory-edge/shared/profiles'
import { generateLabelledReadings, type GenerateReadingsOptions, type InjectionMode, type Scenario } from '@factory-edge/sensor-simulator'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { runFleet, type FleetRun } from '../src/quality/fleet-run.js'
import { simulatedReadings } from '../src/simulated-readings.js'
import { FIRST_MODEL_ROWS, SHIPPED_PROFILES } from '../src/start-all.js'
import { settledCounters, startDetectorProcess } from './reliability/detector-process.js'

/** What must agree: which machine, at which reading, which way, how severe, with which score. */
function summary (e: AnomalyEvent): string {
  return `${e.machineId} seq ${e.seq} ${e.state} ${e.severity} score ${e.score.toFixed(9)} top ${e.features[0]?.name ?? ''}`
}

/** One failure of each mode, the first on machine 1 at `fromMs`, the next on machine 2 50 s later, and so on. */
function oneFailureEach (modes: readonly InjectionMode[], idPrefix: string, fromMs: number): Scenario[] {
  return modes.map((mode, i) => ({ mode, machineId: `${idPrefix}${i + 1}`, atMs: fromMs + i * 50_000 }))
}

/**
 * Feeds `fleet`'s readings through a real broker, QoS 1, in the generator's order (each machine's readings
 * in sequence), to the detector service as a separate process, and checks that it raises and clears
 * exactly the alerts of the offline run; returns the service's events.
 */
async function agreesWithService (t: TestContext, offline: FleetRun, fleet: GenerateReadingsOptions, detectorOptions: { modelPath: string, spoolDir: string, clientId: string, args?: string[] }): Promise<AnomalyEvent[]> {
  const logger = createLogger('quality-agreement', { level: 'warn', format: 'json', destination: process.stderr })
  const broker = await startBroker({ host: '127.0.0.1', port: 0, wsPort: null, httpPort: null, allowAnonymous: true, logger })
  t.after(async () => await broker.close())
  const detector = await startDetectorProcess({ brokerUrl: broker.url, ...detectorOptions })
  t.after(async () => await detector.stop())

  const online: AnomalyEvent[] = []
  const subscriber = connect(broker.url, { clientId: `${detectorOptions.clientId}-subscriber` })
  t.after(async () => await subscriber.endAsync(true))
  subscriber.on('message', (_topic, payload) => online.push(JSON.parse(payload.toString()) as AnomalyEvent))
  await subscriber.subscribeAsync(allMachinesTopic('anomalies'), { qos: 1 })

  const publisher = connect(broker.url, { clientId: `${detectorOptions.clientId}-publisher` })
  t.after(async () => await publisher.endAsync(true))
  let sent = 0
  for (const { telemetry, sent: wasSent } of generateLabelledReadings(fleet)) {
    if (!wasSent) continue
    await publisher.publishAsync(machineTopic('telemetry', telemetry.machineId), JSON.stringify(telemetry), { qos: 1 })
    sent++
  }
  assert.equal(sent, offline.readings)
  const counters = await settledCounters(detector.counters, sent)
  assert.equal(counters.scored + counters.learning, sent, 'every reading scored or learnt from')
  await eventually(() => online.length >= offline.events.length, 15_000, `${offline.events.length} events from the service`)

  const byMachineThenSeq = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true })
  t.diagnostic(`${offline.events.length} events (${offline.raised.length} raises) over ${sent} readings, the same from both`)
  assert.deepEqual(online.map(summary).sort(byMachineThenSeq), offline.events.map(summary).sort(byMachineThenSeq))
  return online
}

test('the service raises and clears the same alerts as the offline quality benchmark, for the same readings', async (t) => {
  const dir = await tempDir('factory-edge-quality-')
  t.after(async () => await dir.cleanup())
  const { model } = await trainSynthetic(FIRST_MODEL_ROWS, simulatedReadings, { seed: 1 })
  const modelPath = join(dir.dir, 'model.json')
  await saveModel(modelPath, model)
  // Healthy machines (whose false alarms count as much as the detections) and one failure of each kind.
  const fleet: GenerateReadingsOptions = {
    machines: 6,
    readingsPerMachine: 600,
    seed: 3,
    scenarios: oneFailureEach(['HDF', 'PWF', 'OSF', 'TWF'], 'machine-', 200_000)
  }
  const offline = runFleet(model, fleet)
  assert.ok(offline.raised.length >= 4, `the offline run raises for the injected failures (${offline.raised.length} raises)`)

  await agreesWithService(t, offline, fleet, { modelPath, spoolDir: join(dir.dir, 'spool'), clientId: 'quality-agreement' })
})

test('pumps that learn their own baselines: the service learns the same baselines and raises and clears the same alerts as the offline self-learning benchmark', async (t) => {
  const dir = await tempDir('factory-edge-quality-pumps-')
  t.after(async () => await dir.cleanup())
  // The shipped pump profile (its features, trim and alert margin), learning from 600 readings instead
  // of six hours so that the test fits in seconds (a baseline that thin raises on healthy pumps too:
  // what counts here is that both sides raise the same).
  const shippedText = await readFile(SHIPPED_PROFILES, 'utf8')
  // The pump profile alone: the file's ai4i profile would need a trained model.
  const pumpOnly = `profiles:${shippedText.slice(shippedText.indexOf('\n  pump:'))}`
  const shortened = pumpOnly.replace('learn: { readings: 2000, duration: 6h, trim: 0.1 }', 'learn: { readings: 600, trim: 0.1 }')
  assert.notEqual(shortened, pumpOnly, 'the shipped pump profile\'s learning, shortened')
  const profilesPath = join(dir.dir, 'profiles.yaml')
  await writeFile(profilesPath, shortened)
  const all = loadProfiles(profilesPath)
  const pump = all.byName('pump')
  if (pump === undefined) throw new Error(`${SHIPPED_PROFILES} has no pump profile`)
  const fleet: GenerateReadingsOptions = {
    kind: 'pump',
    machines: 5,
    readingsPerMachine: 1800,
    seed: 4,
    scenarios: oneFailureEach(['bearing_wear', 'cavitation', 'impeller_clog', 'seal_leak'], 'pump-', 900_000)
  }
  const offline = runFleet(undefined, fleet, undefined, { profiles: new ProfileSet([pump], all.source), baselines: inMemoryBaselines() })
  assert.ok(offline.raised.length >= 4, `the offline run raises (${offline.raised.length} raises)`)
  assert.ok(offline.raised.some((e) => e.kind === 'process'), 'process alerts among them')
  assert.equal(offline.scoringFrom.size, 5, 'every pump learnt its baseline')
  const online = await agreesWithService(t, offline, fleet, { modelPath: join(dir.dir, 'no-model.json'), spoolDir: join(dir.dir, 'spool'), clientId: 'quality-agreement-pumps', args: ['--profiles', profilesPath, '--models-dir', join(dir.dir, 'models')] })
  assert.ok(online.every((e) => e.profile === 'pump'))
  const processRaises = online.filter((e) => e.kind === 'process' && e.state === 'raised')
  assert.ok(processRaises.length > 0 && processRaises.every((e) => e.calibration?.margin === 0.25), 'held to the profile\'s own margin')
})

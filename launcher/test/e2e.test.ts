// The whole path in one process: simulated sensors → aedes broker → edge detector → anomaly events.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'mqtt'
import { startBroker } from '@factory-edge/broker'
import { startSimulator } from '@factory-edge/sensor-simulator'
import { allMachinesTopic, type AnomalyEvent } from '@factory-edge/shared/contract'
import { saveModel } from '@factory-edge/shared/ml'
import { createLogger } from '@factory-edge/shared/runtime'
import { startDetector } from '@factory-edge/edge-detector'
import { trainSynthetic } from '@factory-edge/edge-detector/training'
import { simulatedReadings } from '../src/simulated-readings.js'

interface Received { event: AnomalyEvent, at: number }

test('an injected failure raises an anomaly for that machine within 2 s, and none for the healthy ones', async (t) => {
  // Stopped in reverse order: publishers first, the broker last.
  const cleanup: Array<() => Promise<unknown>> = []
  t.after(async () => { for (const stop of cleanup.reverse()) await stop() })
  const dir = await mkdtemp(join(tmpdir(), 'factory-edge-e2e-'))
  cleanup.push(async () => await rm(dir, { recursive: true, force: true }))
  const logger = createLogger('e2e', { level: 'warn', format: 'json', destination: process.stderr })

  const modelPath = join(dir, 'model.json')
  const { model } = await trainSynthetic(6000, simulatedReadings, { seed: 11 })
  await saveModel(modelPath, model)

  const broker = await startBroker({ host: '127.0.0.1', port: 0, wsPort: null, httpPort: null, allowAnonymous: true, logger })
  cleanup.push(async () => await broker.close())
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, clientId: 'e2e-detector', logger, alert: { k: 3, m: 5 } })
  cleanup.push(async () => await detector.close())

  const received: Received[] = []
  const subscriber = connect(broker.url, { clientId: 'e2e-subscriber' })
  cleanup.push(async () => await subscriber.endAsync(true))
  subscriber.on('message', (_topic, payload) => received.push({ event: JSON.parse(payload.toString()) as AnomalyEvent, at: Date.now() }))
  await subscriber.subscribeAsync(allMachinesTopic('anomalies'), { qos: 1 })

  const rateHz = 20
  const simulator = await startSimulator({ brokerUrl: broker.url, machines: 4, rateHz, seed: 5, logger })
  cleanup.push(async () => await simulator.stop())

  // Let every window fill with healthy readings before the failure.
  await waitFor(() => detector.stats().scored >= 4 * model.featureSpec.window + 40, 10_000, 'the detector to score the warm-up readings')
  const faulty = 'machine-2'
  const injectedAt = Date.now()
  simulator.injectFailure(faulty, 'HDF')

  const raised = await waitFor(() => received.find((r) => r.event.machineId === faulty && r.event.state === 'raised' && r.at >= injectedAt), 5000, `an anomaly event for ${faulty}`)
  const latency = raised.at - injectedAt
  t.diagnostic(`anomaly event ${latency} ms after the injection`)
  assert.ok(latency <= 2000, `the event arrived ${latency} ms after the injection; allowed 2000 ms`)
  assert.equal(raised.event.threshold, model.threshold)
  assert.equal(raised.event.modelVersion, model.version)
  assert.ok(raised.event.score > model.threshold, 'a raised event scores above the threshold')
  assert.equal(raised.event.features.length, model.featureSpec.features.length)
  const shares = raised.event.features.reduce((sum, f) => sum + f.contribution, 0)
  assert.ok(Math.abs(shares - 1) < 1e-6, `contributions sum to 1, got ${shares}`)

  const healthyAlerts = received.filter((r) => r.event.machineId !== faulty && r.event.state === 'raised' && r.at >= injectedAt && r.at <= injectedAt + 2000)
  assert.deepEqual(healthyAlerts.map((r) => r.event.machineId), [], 'no anomaly for healthy machines in the same period')
})

async function waitFor<T> (probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

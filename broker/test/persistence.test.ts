import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { startBroker } from '../src/index.js'
import { connect, endClient, quietLogger, tempDir } from './helpers.js'

/** Collects the payloads a persistent-session client receives on connect. */
function collect (client: MqttClient, into: string[]): void {
  client.on('message', (_topic, payload) => into.push(payload.toString()))
}

test('level persistence: QoS 1 messages for an offline persistent session survive a broker restart', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.remove())
  const options = { port: 0, persistence: 'level' as const, persistenceDir: join(dir.path, 'store'), logger: quietLogger() }

  let broker = await startBroker(options)
  const port = broker.port
  // The detector's session: persistent (clean: false), subscribed with QoS 1, then offline.
  const detector = await connect(broker.url, { clientId: 'detector-1', clean: false })
  await detector.subscribeAsync('factory/+/telemetry', { qos: 1 })
  await endClient(detector)

  const sensor = await connect(broker.url, { clientId: 'sensor-1' })
  for (let i = 0; i < 20; i++) await sensor.publishAsync('factory/m1/telemetry', `reading-${i}`, { qos: 1 })
  await sensor.publishAsync('factory/m1/state', 'retained-state', { qos: 1, retain: true })
  await endClient(sensor)

  await broker.close()
  broker = await startBroker({ ...options, port })
  t.after(() => broker.close())

  const received: string[] = []
  const back = await connect(broker.url, { clientId: 'detector-1', clean: false })
  collect(back, received)
  t.after(() => endClient(back))
  const deadline = Date.now() + 10000
  while (received.length < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => `reading-${i}`))

  // Retained messages survive too.
  const viewer = await connect(broker.url)
  t.after(() => endClient(viewer))
  const retained: string[] = []
  collect(viewer, retained)
  await viewer.subscribeAsync('factory/m1/state')
  const until = Date.now() + 10000
  while (retained.length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.deepEqual(retained, ['retained-state'])
})

test('memory persistence loses them (the test above would notice a store that does nothing)', async (t) => {
  let broker = await startBroker({ port: 0, logger: quietLogger() })
  const port = broker.port
  const detector = await connect(broker.url, { clientId: 'detector-2', clean: false })
  await detector.subscribeAsync('factory/+/telemetry', { qos: 1 })
  await endClient(detector)
  const sensor = await connect(broker.url)
  await sensor.publishAsync('factory/m1/telemetry', 'lost', { qos: 1 })
  await endClient(sensor)
  await broker.close()
  broker = await startBroker({ port, logger: quietLogger() })
  t.after(() => broker.close())
  const received: string[] = []
  const back = await connect(broker.url, { clientId: 'detector-2', clean: false })
  t.after(() => endClient(back))
  collect(back, received)
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.deepEqual(received, [])
})

test('a store that cannot be opened is a clear error', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.remove())
  const first = await startBroker({ port: 0, persistence: 'level', persistenceDir: dir.path, logger: quietLogger() })
  t.after(() => first.close())
  // LevelDB allows one process (here: one open handle) per directory.
  await assert.rejects(startBroker({ port: 0, persistence: 'level', persistenceDir: dir.path, logger: quietLogger() }),
    new RegExp(`cannot open the persistence store in ${dir.path}`))
  await assert.rejects(startBroker({ port: 0, persistence: 'level', persistenceDir: '', logger: quietLogger() }), /--persistence-dir/)
})

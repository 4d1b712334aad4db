import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { createServer, type AddressInfo } from 'node:net'
import { Aedes } from 'aedes'
import { ClassicLevel } from 'classic-level'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import mqtt, { type MqttClient } from 'mqtt'
import { createLogger } from '@factory-edge/shared/runtime'
import { startBroker, type BrokerHandle } from '../src/index.js'
import { freePort } from '@factory-edge/test-support/ports'
import { startServerProcess } from '@factory-edge/test-support/server-process'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { sendMalformedClients } from '@factory-edge/test-support/raw-mqtt'
import { endClient, quietLogger } from './helpers.js'

const BROKER_BIN = 'broker/dist/src/bin/factory-broker.js'

// The inputs of issue 17 that made factory-broker disconnect a persistent QoS 1 subscriber at every
// reconnect, sent while a detector-like client (clean: false, QoS 1 on factory/+/telemetry) receives
// readings, before and after a broker restart with the LevelDB store.

interface Subscriber {
  client: MqttClient
  received: Set<string>
  /** Successful CONNECTs so far: 1 + the number of times it had to reconnect. */
  connects: () => number
  subscribed: () => boolean
}

/** A persistent QoS 1 subscriber that reconnects by itself, counting its connections. */
function persistentSubscriber (url: string, clientId: string, filter: string): Subscriber {
  const received = new Set<string>()
  let connects = 0
  let subscribed = false
  const client = mqtt.connect(url, { clientId, clean: false, reconnectPeriod: 100, connectTimeout: 5000 })
  client.on('message', (_topic, payload) => received.add(payload.toString()))
  client.on('connect', () => { connects++ })
  client.on('error', () => {})
  client.once('connect', () => { client.subscribe(filter, { qos: 1 }, (err) => { subscribed = err == null }) })
  return { client, received, connects: () => connects, subscribed: () => subscribed }
}

async function publishReadings (client: MqttClient, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await client.publishAsync('factory/machine-1/telemetry', `reading-${i}`, { qos: 1 })
}

test('malformed clients do not lock a persistent subscriber out, across a broker restart', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const start = async (port: number): Promise<BrokerHandle> =>
    await startBroker({ port, persistence: 'level', persistenceDir: join(dir.dir, 'store'), logger: quietLogger() })
  let broker = await start(0)
  const port = broker.port
  t.after(() => broker.close())

  const detector = persistentSubscriber(broker.url, 'detector-17', 'factory/+/telemetry')
  t.after(() => endClient(detector.client))
  await eventually(detector.subscribed, 5000, 'detector subscribed')
  const sensor = mqtt.connect(broker.url, { reconnectPeriod: 100 })
  sensor.on('error', () => {})
  t.after(() => endClient(sensor))
  await eventually(() => sensor.connected, 5000, 'sensor connected')

  await publishReadings(sensor, 0, 50)
  await sendMalformedClients(port)
  await publishReadings(sensor, 50, 100)
  await eventually(() => detector.received.size === 100, 10000, 'readings 0–99 at the detector')
  assert.equal(detector.connects(), 1, 'the detector was never disconnected before the restart')
  assert.ok(broker.metrics.protocolViolations >= 5, `violations counted: ${broker.metrics.protocolViolations}`)

  await broker.close()
  broker = await start(port)
  await eventually(() => detector.client.connected && sensor.connected, 10000, 'both clients back after the restart')
  await sendMalformedClients(port)
  await publishReadings(sensor, 100, 150)
  // A new persistent subscriber of factory/# gets whatever is retained: nothing invalid may be there.
  const dashboard = persistentSubscriber(broker.url, 'dashboard-17', 'factory/#')
  t.after(() => endClient(dashboard.client))
  await publishReadings(sensor, 150, 200)

  await eventually(() => detector.received.size === 200, 10000, 'every reading at the detector')
  await eventually(() => dashboard.received.size > 0, 10000, 'readings at the dashboard')
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.deepEqual([...detector.received].sort(), Array.from({ length: 200 }, (_, i) => `reading-${i}`).sort())
  assert.equal(detector.connects(), 2, 'the detector was disconnected only by the restart')
  assert.equal(dashboard.connects(), 1)
  assert.ok([...dashboard.received].every((p) => p.startsWith('reading-')), 'nothing but good readings')
  assert.ok(detector.client.connected && dashboard.client.connected)
  assert.equal(broker.metrics.undeliverableMessages, 0, 'nothing undeliverable got in')
})

/** Messages only the broker's own API can produce: a QoS of 3, and a topic longer than its 16-bit length field. */
const UNDELIVERABLE = [
  { cmd: 'publish' as const, topic: 'factory/machine-9/telemetry', payload: Buffer.from('qos 3'), qos: 3 as unknown as 1, retain: false, dup: false },
  { cmd: 'publish' as const, topic: `factory/${'é'.repeat(40000)}/telemetry`, payload: Buffer.from('long'), qos: 1 as const, retain: false, dup: false }
]

async function publishVia (aedes: Aedes, packets: Array<Parameters<Aedes['publish']>[0]>): Promise<void> {
  for (const packet of packets) await new Promise<void>((resolve, reject) => aedes.publish(packet, (err) => err != null ? reject(err) : resolve()))
}

const reading = (i: number): Parameters<Aedes['publish']>[0] =>
  ({ cmd: 'publish', topic: 'factory/machine-1/telemetry', payload: Buffer.from(`reading-${i}`), qos: 1, retain: false, dup: false })

test('messages an older broker stored that cannot be encoded are dropped for the subscriber, which stays connected', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const storeDir = join(dir.dir, 'store')

  // The store as plain aedes (what factory-broker was before) leaves it: an offline persistent
  // session with good readings and the two undeliverable messages queued.
  const db = new ClassicLevel(storeDir)
  await db.open()
  const persistence = new AsyncLevelPersistence(db)
  const old = await Aedes.createBroker({ persistence })
  const server = createServer(old.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const oldPort = (server.address() as AddressInfo).port
  const first = persistentSubscriber(`mqtt://127.0.0.1:${oldPort}`, 'detector-old', 'factory/+/telemetry')
  await eventually(first.subscribed, 5000, 'subscribed on the old broker')
  await endClient(first.client)
  await publishVia(old, [reading(0), reading(1), ...UNDELIVERABLE, reading(2), reading(3)])
  await new Promise<void>((resolve) => old.close(() => resolve()))
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await persistence.destroy()

  const lines: Array<{ level: number, msg: string }> = []
  const stream = new PassThrough()
  stream.on('data', (d: Buffer) => { for (const l of d.toString().trim().split('\n')) lines.push(JSON.parse(l) as { level: number, msg: string }) })
  const logger = createLogger('broker-test', { level: 'debug', format: 'json', destination: stream })
  const broker = await startBroker({ port: 0, persistence: 'level', persistenceDir: storeDir, logger })
  t.after(() => broker.close())
  const detector = persistentSubscriber(broker.url, 'detector-old', 'factory/+/telemetry')
  t.after(() => endClient(detector.client))
  await eventually(() => detector.received.size === 4, 10000, 'the four good readings from the stored session')
  await publishVia(broker.aedes, [reading(4), ...UNDELIVERABLE, reading(5)])
  await eventually(() => detector.received.size === 6, 10000, 'the readings published after the restart')
  assert.equal(broker.metrics.undeliverableMessages, 4, 'two from the old store, two published online')
  // Logged once per connection as a warning; the rest of that connection's drops at debug level.
  const drops = lines.filter((l) => l.msg.startsWith('message dropped for a subscriber'))
  assert.deepEqual(drops.map((l) => l.level), [40, 20, 20, 20])

  // Nothing undeliverable is left in the session: a reconnect brings no further drop.
  await endClient(detector.client)
  const again = persistentSubscriber(broker.url, 'detector-old', 'factory/+/telemetry')
  t.after(() => endClient(again.client))
  await eventually(again.subscribed, 5000, 'subscribed again')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.deepEqual([...detector.received].sort(), Array.from({ length: 6 }, (_, i) => `reading-${i}`))
  assert.equal(detector.connects(), 1)
  assert.ok(again.client.connected)
  assert.equal(broker.metrics.undeliverableMessages, 4)
})

test('an invalid SUBSCRIBE pipelined behind its CONNECT closes the connection, however early it is handled', async (t) => {
  // aedes handles a packet once its CONNACK is written, which can be before it marks the client
  // connected; a filter refused in that window was once taken for a stored subscription and ignored,
  // leaving the connection open without a SUBACK (MQTT-4.7.1-3 asks for it to be closed). The window
  // comes up now and then among the other malformed clients, with the broker in its own process as
  // deployed (in this test's process the timing hides it).
  const dir = await tempDir()
  const port = await freePort()
  const broker = await startServerProcess('factory-broker', process.execPath, [BROKER_BIN, '--port', String(port), '--no-ws', '--http-port', '-1', '--log-level', 'warn'], port, `mqtt://127.0.0.1:${port}`, dir)
  t.after(async () => { await broker.stop(); await broker.cleanup() })
  for (let round = 0; round < 60; round++) await sendMalformedClients(port)
})

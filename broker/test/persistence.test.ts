import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { startBroker } from '../src/index.js'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { connect, endClient, quietLogger } from './helpers.js'
import { MOSQUITTO } from '@factory-edge/test-support/mosquitto'
import { startMosquitto } from './mosquitto.js'
import { checkSessionSurvivesRestart } from './session-restart.js'

test('level persistence: QoS 1 messages for an offline persistent session survive a broker restart', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  let port = 0
  await checkSessionSurvivesRestart(async () => {
    const broker = await startBroker({ port, persistence: 'level', persistenceDir: join(dir.dir, 'store'), logger: quietLogger() })
    port = broker.port
    return { url: broker.url, stop: () => broker.close() }
  })
})

test('Mosquitto with mosquitto.conf passes the same restart test', { skip: !existsSync(MOSQUITTO) && 'mosquitto is not installed' }, async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const passwordFile = join(dir.dir, 'passwords')
  const aclFile = join(dir.dir, 'acl')
  execFileSync('mosquitto_passwd', ['-c', '-b', passwordFile, 'tester', 'pw'])
  await writeFile(aclFile, 'user tester\ntopic readwrite factory/#\n')
  await checkSessionSurvivesRestart(async () => {
    const mosquitto = await startMosquitto({ dir: dir.dir, passwordFile, aclFile })
    return { url: mosquitto.url, stop: mosquitto.stop }
  }, { username: 'tester', password: 'pw' })
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
  const back = await connect(broker.url, { clientId: 'detector-2', clean: false }, (_topic, payload) => received.push(payload.toString()))
  t.after(() => endClient(back))
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.deepEqual(received, [])
})

test('a store that cannot be opened is a clear error', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const first = await startBroker({ port: 0, persistence: 'level', persistenceDir: dir.dir, logger: quietLogger() })
  t.after(() => first.close())
  // LevelDB allows one process (here: one open handle) per directory.
  await assert.rejects(startBroker({ port: 0, persistence: 'level', persistenceDir: dir.dir, logger: quietLogger() }),
    new RegExp(`cannot open the persistence store in ${dir.dir}`))
  await assert.rejects(startBroker({ port: 0, persistence: 'level', persistenceDir: '', logger: quietLogger() }), /--persistence-dir/)
})

test('level persistence: an online persistent session receives every QoS 1 message from concurrent publishers', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const broker = await startBroker({ port: 0, persistence: 'level', persistenceDir: join(dir.dir, 'store'), logger: quietLogger() })
  t.after(() => broker.close())
  const received = new Set<string>()
  const detector = await connect(broker.url, { clientId: 'detector-online', clean: false }, (_topic, payload) => received.add(payload.toString()))
  t.after(() => endClient(detector))
  await detector.subscribeAsync('factory/+/telemetry', { qos: 1 })
  const perPublisher = 1500
  const publishers = await Promise.all([1, 2, 3].map(async () => await connect(broker.url)))
  await Promise.all(publishers.map(async (p, i) => {
    const sends: Array<Promise<unknown>> = []
    for (let n = 0; n < perPublisher; n++) sends.push(p.publishAsync(`factory/m${i}/telemetry`, `${i}:${n}`, { qos: 1 }))
    await Promise.all(sends)
  }))
  for (const p of publishers) await endClient(p)
  const deadline = Date.now() + 10_000
  while (received.size < 3 * perPublisher && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  // Before the in-order store, 3–6 % stayed in the store until the client reconnected.
  assert.equal(received.size, 3 * perPublisher, `received ${received.size} of ${3 * perPublisher} without a reconnect`)
})

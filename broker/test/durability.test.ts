import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { freePort } from '@factory-edge/test-support/ports'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { connect, endClient } from './helpers.js'
import { startProcess, type Child } from '@factory-edge/test-support/child-process'

const BIN = 'broker/dist/src/bin/factory-broker.js'

function startNode (port: number, dir: string): Promise<Child> {
  const env = { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'warn', BROKER_WS: 'false', BROKER_HTTP_PORT: '-1' }
  return startProcess(process.execPath, [BIN, '--port', String(port), '--persistence', 'level', '--persistence-dir', dir], async () => {
    try { await endClient(await connect(`mqtt://127.0.0.1:${port}`)); return true } catch { return false }
  }, { env })
}

test('level store: every QoS 1 message the broker acknowledged survives a SIGKILL', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const port = await freePort()
  const url = `mqtt://127.0.0.1:${port}`
  let broker = await startNode(port, join(dir.dir, 'store'))
  t.after(() => broker.stop())

  const session = await connect(url, { clientId: 'durable-detector', clean: false })
  await session.subscribeAsync('factory/+/telemetry', { qos: 1 })
  await endClient(session)

  // Publish without waiting for each PUBACK, and SIGKILL the broker mid-stream.
  const acked = new Set<string>()
  const publisher = mqtt.connect(url, { clientId: 'durable-sensor', reconnectPeriod: 0 })
  t.after(() => endClient(publisher))
  await new Promise((resolve) => publisher.once('connect', resolve))
  for (let i = 0; i < 3000; i++) {
    const payload = `reading-${i}`
    publisher.publish('factory/m1/telemetry', payload, { qos: 1 }, (err) => { if (err === undefined || err === null) acked.add(payload) })
  }
  await eventually(() => acked.size >= 500, 20_000, '500 acknowledgements')
  broker.process.kill('SIGKILL')
  await broker.stop()
  const ackedAtKill = [...acked]
  publisher.end(true)

  broker = await startNode(port, join(dir.dir, 'store'))
  const received = new Set<string>()
  const back = await connect(url, { clientId: 'durable-detector', clean: false }, (_topic, payload) => received.add(payload.toString()))
  t.after(() => endClient(back))
  await eventually(() => ackedAtKill.every((p) => received.has(p)), 20_000, 'every acknowledged message delivered').catch(() => {})
  const lost = ackedAtKill.filter((p) => !received.has(p))
  assert.deepEqual(lost, [], `${lost.length} of ${ackedAtKill.length} acknowledged messages lost`)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { startBroker } from '../src/index.js'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { connect, endClient, nextMessage, quietLogger, selfSignedCertificate } from './helpers.js'

test('delivers a message between two TCP clients on an ephemeral port', async (t) => {
  const broker = await startBroker({ port: 0, logger: quietLogger() })
  t.after(() => broker.close())
  assert.match(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/)
  assert.notEqual(broker.port, 0)
  const sub = await connect(broker.url)
  const pub = await connect(broker.url)
  t.after(() => Promise.all([endClient(sub), endClient(pub)]))
  await sub.subscribeAsync('factory/m1/telemetry', { qos: 1 })
  const received = nextMessage(sub)
  await pub.publishAsync('factory/m1/telemetry', '{"t":1}', { qos: 1 })
  const message = await received
  assert.equal(message.topic, 'factory/m1/telemetry')
  assert.equal(message.payload.toString(), '{"t":1}')
  assert.equal(broker.metrics.messagesIn, 1)
})

test('rejects a port that is in use with a message naming the setting', async (t) => {
  const first = await startBroker({ port: 0, logger: quietLogger() })
  t.after(() => first.close())
  await assert.rejects(startBroker({ port: first.port, logger: quietLogger() }), (err: Error) => {
    assert.match(err.message, new RegExp(`port ${first.port} .*already in use`))
    assert.match(err.message, /--port \(env BROKER_PORT\)/)
    return true
  })
  // The failed start released everything: the first broker still works.
  const client = await connect(first.url)
  await endClient(client)
})

test('accepts MQTT over WebSocket', async (t) => {
  const broker = await startBroker({ port: 0, wsPort: 0, logger: quietLogger() })
  t.after(() => broker.close())
  assert.ok(broker.wsPort !== undefined && broker.wsPort > 0)
  const ws = await connect(`ws://127.0.0.1:${broker.wsPort}`)
  const tcp = await connect(broker.url)
  t.after(() => Promise.all([endClient(ws), endClient(tcp)]))
  await ws.subscribeAsync('factory/+/anomalies')
  const received = nextMessage(ws)
  await tcp.publishAsync('factory/m2/anomalies', 'alarm')
  assert.equal((await received).payload.toString(), 'alarm')
})

test('accepts MQTT over TLS with a certificate and key (self-signed, made by openssl)', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const tls = selfSignedCertificate(dir.dir)
  const cert = tls.certFile
  const broker = await startBroker({ port: 0, tlsPort: 0, tls, logger: quietLogger() })
  t.after(() => broker.close())
  assert.ok(broker.tlsPort !== undefined && broker.tlsPort > 0)
  const secure = await connect(`mqtts://127.0.0.1:${broker.tlsPort}`, { ca: readFileSync(cert), servername: 'localhost' })
  t.after(() => endClient(secure))
  await secure.subscribeAsync('factory/m3/telemetry')
  const received = nextMessage(secure)
  const plain = await connect(broker.url)
  t.after(() => endClient(plain))
  await plain.publishAsync('factory/m3/telemetry', 'over tls')
  assert.equal((await received).payload.toString(), 'over tls')
  // A client that does not trust the certificate is refused by its own TLS check.
  await assert.rejects(connect(`mqtts://127.0.0.1:${broker.tlsPort}`, { rejectUnauthorized: true }))
})

test('close() disconnects clients, frees the port and can be called twice', async (t) => {
  const broker = await startBroker({ port: 0, logger: quietLogger() })
  const client = await connect(broker.url)
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
  await Promise.all([broker.close(), broker.close()])
  await closed
  await endClient(client)
  const again = await startBroker({ port: broker.port, logger: quietLogger() })
  t.after(() => again.close())
  assert.equal(again.port, broker.port)
})

test('refuses to start on a non-loopback address without a password file unless anonymous is allowed', async () => {
  await assert.rejects(startBroker({ host: '0.0.0.0', port: 0, logger: quietLogger() }), /--password-file.*--allow-anonymous/)
})

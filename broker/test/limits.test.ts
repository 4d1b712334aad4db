import { test } from 'node:test'
import assert from 'node:assert/strict'
import mqttPacket from 'mqtt-packet'
import { startBroker, type BrokerHandle } from '../src/index.js'
import { eventually } from '@factory-edge/test-support/wait'
import { connect, endClient, nextMessage, quietLogger } from './helpers.js'
import { closed, rawSocket } from '@factory-edge/test-support/raw-mqtt'

const connectPacket = (clientId: string, keepalive = 60): Buffer =>
  mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive })

/** The broker still serves a normal client after the abuse. */
async function stillWorks (broker: BrokerHandle): Promise<void> {
  const sub = await connect(broker.url)
  const pub = await connect(broker.url)
  try {
    await sub.subscribeAsync('health/check')
    const received = nextMessage(sub)
    await pub.publishAsync('health/check', 'ok')
    assert.equal((await received).payload.toString(), 'ok')
  } finally {
    await Promise.all([endClient(sub), endClient(pub)])
  }
}

test('an oversized PUBLISH closes only that connection and is counted', async (t) => {
  const broker = await startBroker({ port: 0, maxPacketSize: 1024, logger: quietLogger() })
  t.after(() => broker.close())
  const subscriber = await connect(broker.url)
  t.after(() => endClient(subscriber))
  let received = 0
  await subscriber.subscribeAsync('big/#')
  subscriber.on('message', () => { received++ })

  const socket = await rawSocket(broker.port)
  socket.write(connectPacket('big-sender'))
  socket.write(mqttPacket.generate({ cmd: 'publish', topic: 'big/one', payload: Buffer.alloc(2000, 1), qos: 0, retain: false, dup: false }))
  await closed(socket)
  assert.equal(broker.metrics.oversizedPackets, 1)
  assert.equal(received, 0)
  await stillWorks(broker)
  assert.equal(subscriber.connected, true)
})

test('a packet announcing 200 MB is refused from its header, before any body arrives', async (t) => {
  const broker = await startBroker({ port: 0, maxPacketSize: 65536, logger: quietLogger() })
  t.after(() => broker.close())
  const socket = await rawSocket(broker.port)
  socket.write(connectPacket('liar'))
  // PUBLISH fixed header with remaining length 200 000 000 (varint), then nothing.
  const length = 200_000_000
  const header = [0x30]
  let x = length
  do { let byte = x % 128; x = Math.floor(x / 128); if (x > 0) byte |= 0x80; header.push(byte) } while (x > 0)
  socket.write(Buffer.from(header))
  await closed(socket)
  assert.equal(broker.metrics.oversizedPackets, 1)
  await stillWorks(broker)
})

test('malformed packets close the connection and the broker keeps running', async (t) => {
  const broker = await startBroker({ port: 0, logger: quietLogger() })
  t.after(() => broker.close())
  const garbage = [
    Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), // not MQTT at all
    Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]), // remaining length longer than 4 bytes
    Buffer.concat([connectPacket('twice'), connectPacket('twice')]), // second CONNECT is a protocol violation
    mqttPacket.generate({ cmd: 'publish', topic: 'early', payload: 'x', qos: 0, retain: false, dup: false }), // PUBLISH before CONNECT
    Buffer.concat([connectPacket('wild'), mqttPacket.generate({ cmd: 'publish', topic: 'a/#', payload: 'x', qos: 0, retain: false, dup: false })]),
    Buffer.from([0x10, 0x05, 0x00, 0x04, 0x4d, 0x51, 0x54]) // CONNECT cut short, then the client hangs up
  ]
  for (const bytes of garbage) {
    const socket = await rawSocket(broker.port)
    socket.write(bytes)
    if (bytes.length === 7) socket.end()
    await closed(socket)
  }
  await stillWorks(broker)
  assert.ok(broker.metrics.clientErrors >= 3, `client errors counted: ${broker.metrics.clientErrors}`)
})

test('connections above maxConnections are closed at once and counted', async (t) => {
  const broker = await startBroker({ port: 0, maxConnections: 2, logger: quietLogger() })
  t.after(() => broker.close())
  const a = await connect(broker.url)
  const b = await connect(broker.url)
  t.after(() => Promise.all([endClient(a), endClient(b)]))
  await assert.rejects(connect(broker.url))
  assert.equal(broker.metrics.connectionsRejected, 1)
  await endClient(b)
  // A slot is free again once a client leaves.
  await eventually(async () => {
    try {
      await endClient(await connect(broker.url))
      return true
    } catch { return false }
  }, 10000, 'a free connection slot')
})

test('keep-alive: above maxKeepalive is refused, a silent client is dropped', async (t) => {
  const broker = await startBroker({ port: 0, maxKeepalive: 30, logger: quietLogger() })
  t.after(() => broker.close())
  await assert.rejects(connect(broker.url, { keepalive: 60 }))
  await assert.rejects(connect(broker.url, { keepalive: 0 }))
  // Keep-alive 1 s and then silence: the broker drops it after 1.5 × keep-alive.
  const socket = await rawSocket(broker.port)
  socket.write(connectPacket('silent', 1))
  await closed(socket, 15000)
  assert.equal(broker.metrics.keepaliveTimeouts, 1)
})

test('a client that never sends CONNECT is dropped after connectTimeout', async (t) => {
  const broker = await startBroker({ port: 0, connectTimeout: 300, logger: quietLogger() })
  t.after(() => broker.close())
  const socket = await rawSocket(broker.port)
  await closed(socket)
  await stillWorks(broker)
})

test('a subscriber that stops reading is dropped and the others keep receiving', async (t) => {
  const broker = await startBroker({ port: 0, drainTimeout: 500, logger: quietLogger() })
  t.after(() => broker.close())
  // The slow one subscribes over a raw socket and then never reads again.
  const slow = await rawSocket(broker.port)
  slow.write(connectPacket('slow-reader'))
  slow.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/#', qos: 0 }] }))
  await new Promise((resolve) => setTimeout(resolve, 200))
  slow.pause()
  t.after(() => slow.destroy())

  const fast = await connect(broker.url)
  t.after(() => endClient(fast))
  await fast.subscribeAsync('flood/#')
  const total = 3000
  let received = 0
  fast.on('message', () => { received++ })
  const publisher = await connect(broker.url)
  t.after(() => endClient(publisher))
  // 3000 × 16 KiB = 48 MiB: far more than the slow reader's socket buffers can hold.
  const payload = Buffer.alloc(16 * 1024, 7)
  for (let i = 0; i < total; i++) {
    publisher.publish('flood/data', payload, { qos: 0 })
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve))
  }
  await eventually(() => received === total, 30000, `all ${total} messages at the fast subscriber`)
  await eventually(() => broker.metrics.slowClientsDropped === 1, 10000, 'the slow reader dropped')
  await eventually(() => broker.aedes.connectedClients === 2, 10000, 'only the fast subscriber and the publisher left')
  await stillWorks(broker)
})

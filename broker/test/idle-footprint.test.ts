import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect as connectTcp, type Socket } from 'node:net'
import type { Readable } from 'node:stream'
import type { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { BufferList } from 'bl'
import { startBroker } from '../src/index.js'
import { LiveConnections } from '../src/transport/live-connections.js'
import { eventually } from '@factory-edge/test-support/wait'
import { connect, endClient, nextMessage, quietLogger } from './helpers.js'

// What factory-broker adds to each idle connection is kept small (docs/scaling.md, "Where an idle client's
// memory goes"): these tests fail when a per-connection stream, closure or listener comes back.

interface AedesClientInternals extends EventEmitter {
  conn: Socket
  _parser: EventEmitter & { _list: unknown, settings: Record<string, unknown>, _events: object }
  _events: object
  duplicates: Record<string, unknown>
}

test('an idle client costs no per-connection closures of ours and its parser buffers without a stream', async (t) => {
  const broker = await startBroker({ port: 0, wsPort: null, httpPort: null, logger: quietLogger() })
  t.after(() => broker.close())
  const a = await connect(broker.url, { clientId: 'idle-a' })
  const b = await connect(broker.url, { clientId: 'idle-b' })
  t.after(() => Promise.all([endClient(a), endClient(b)]))
  await a.subscribeAsync('factory/idle-a/anomalies', { qos: 1 })
  const clients = broker.aedes as unknown as { clients: Record<string, AedesClientInternals> }
  const [ca, cb] = [clients.clients['idle-a'], clients.clients['idle-b']]

  // mqtt-packet's parser keeps its bytes in a plain BufferList, not a Duplex BufferListStream.
  for (const client of [ca, cb]) {
    assert.ok(BufferList.isBufferList(client._parser._list))
    assert.equal(typeof (client._parser._list as Partial<Readable>).pipe, 'undefined', 'a stream, most of a kilobyte per client')
  }
  // Once connected, the parser keeps only what it reads of the CONNECT packet, not the packet.
  await eventually(() => ca._parser.settings.cmd === undefined, 5000, 'the CONNECT packet let go')
  assert.deepEqual(ca._parser.settings, { protocolVersion: 4 })
  // The listener tables of the client and its parser are rebuilt with the same listeners.
  for (const emitter of [ca, ca._parser]) assert.equal(Object.getPrototypeOf(emitter._events), null)
  assert.deepEqual(ca._parser.eventNames(), ['packet', 'error'])
  assert.deepEqual(ca.eventNames(), ['error'])
  assert.equal(Object.getPrototypeOf(ca.duplicates), null)
  assert.equal(ca.duplicates.constructor, undefined, 'an inherited name reads back as absent')
  // The inbound check and the connection bookkeeping use one function for every connection.
  assert.equal(ca.conn.push, cb.conn.push)
  assert.ok(Object.hasOwn(ca.conn, 'push'), 'the inbound check is in place')
  // Every listener of an idle connection and of its parser is one function for all connections (aedes'
  // bound functions and Node's finished() are replaced); only aedes' `readable` closure is per client.
  for (const [what, x, y] of [['connection', ca.conn, cb.conn], ['parser', ca._parser, cb._parser]] as const) {
    for (const event of x.eventNames().filter((e) => e !== 'readable')) {
      const own = x.listeners(event).filter((f) => !y.listeners(event).includes(f))
      assert.deepEqual(own.map((f) => f.name), [], `${what} listeners of ${String(event)} of one connection only`)
    }
  }
  assert.equal(ca.conn.listenerCount('finish'), 0, 'no finished() listeners')
  assert.deepEqual(ca.conn.listeners('close').map((f) => f.name), ['', 'connClosed'], 'the connection bookkeeping and the client\'s close')
  // Still a working client: it receives what it subscribed to.
  const received = new Promise<string>((resolve) => a.once('message', (_topic, payload) => resolve(payload.toString())))
  await b.publishAsync('factory/idle-a/anomalies', 'hello', { qos: 1 })
  assert.equal(await received, 'hello')
})

test('mqtt-packet\'s parser reads no setting but the two that are kept of the CONNECT packet', async () => {
  // parser.settings is the CONNECT packet in mqtt-packet; transport/connected-client.ts keeps only these.
  const source = await readFile(createRequire(import.meta.url).resolve('mqtt-packet/parser.js'), 'utf8')
  const read = new Set([...source.matchAll(/this\.settings\.(\w+)/g)].map((m) => m[1]))
  assert.ok(read.has('protocolVersion'), 'the pattern still finds the parser\'s reads')
  assert.deepEqual([...read].filter((key) => key !== 'protocolVersion' && key !== 'bridgeMode'), [])
})

test('mqtt-packet\'s writer builds no table of 65 536 number buffers', async (t) => {
  const broker = await startBroker({ port: 0, wsPort: null, httpPort: null, logger: quietLogger() })
  t.after(() => broker.close())
  const client = await connect(broker.url, { clientId: 'numbers' })
  t.after(() => endClient(client))
  await client.subscribeAsync('factory/numbers/anomalies', { qos: 1 })
  const received = nextMessage(client)
  await client.publishAsync('factory/numbers/anomalies', 'hello', { qos: 1 })
  assert.equal((await received).payload.toString(), 'hello')
  // The broker's copy of mqtt-packet, the one aedes writes with: CONNACK, SUBACK, PUBACK and PUBLISH went out.
  const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> }
  assert.equal(Object.keys(numbers.cache).length, 0)
})

test('a client whose connection is destroyed without an error or an end is closed: its will goes out', async (t) => {
  const broker = await startBroker({ port: 0, wsPort: null, httpPort: null, logger: quietLogger() })
  t.after(() => broker.close())
  const watcher = await connect(broker.url, { clientId: 'watcher' })
  const doomed = await connect(broker.url, { clientId: 'doomed', will: { topic: 'factory/doomed/status', payload: Buffer.from('gone'), qos: 1, retain: false } })
  t.after(() => Promise.all([endClient(watcher), endClient(doomed)]))
  await watcher.subscribeAsync('factory/doomed/status', { qos: 1 })
  const will = nextMessage(watcher)
  // Only `close` follows: what finished() reacted to and the shared `close` listener now does.
  const clients = broker.aedes as unknown as { clients: Record<string, AedesClientInternals | undefined> }
  clients.clients.doomed?.conn.destroy()
  assert.equal((await will).payload.toString(), 'gone')
  await eventually(() => clients.clients.doomed === undefined, 5000, 'the client is unregistered')
})

test('LiveConnections counts open connections and keeps the bytes of closed ones', async (t) => {
  const connections = new LiveConnections()
  const server = createServer((socket) => { connections.add(socket, socket); socket.on('data', (d) => socket.write(d)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const port = (server.address() as { port: number }).port
  const open = async (): Promise<Socket> => await new Promise((resolve) => { const s = connectTcp(port, '127.0.0.1', () => resolve(s)) })
  const [x, y] = [await open(), await open()]
  await eventually(() => connections.size === 2, 5000, 'two connections')
  x.write('0123456789')
  await eventually(() => connections.received === 10 && connections.sent === 10, 5000, 'ten bytes each way')
  x.destroy()
  await eventually(() => connections.size === 1, 5000, 'one connection left')
  assert.equal(connections.received, 10, 'the closed connection\'s bytes still count')
  assert.equal(connections.sent, 10)
  const yClosed = new Promise((resolve) => y.once('close', resolve))
  connections.destroyAll()
  await yClosed
  await eventually(() => connections.size === 0, 5000, 'none left')
})

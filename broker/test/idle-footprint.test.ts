import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect as connectTcp, type Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { BufferList } from 'bl'
import { startBroker } from '../src/index.js'
import { LiveConnections } from '../src/transport/live-connections.js'
import { eventually } from '@factory-edge/test-support/wait'
import { connect, endClient, quietLogger } from './helpers.js'

// What factory-broker adds to each idle connection is kept small (docs/scaling.md, "Where an idle client's
// memory goes"): these tests fail when a per-connection stream, closure or listener comes back.

interface AedesClientInternals { conn: Socket, _parser: { _list: unknown } }

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
  // The inbound check and the connection bookkeeping use one function for every connection.
  assert.equal(ca.conn.push, cb.conn.push)
  assert.ok(Object.hasOwn(ca.conn, 'push'), 'the inbound check is in place')
  const shared = ca.conn.listeners('close').filter((f) => cb.conn.listeners('close').includes(f))
  assert.equal(shared.length, 1, 'one close listener shared by all connections')
  // Still a working client: it receives what it subscribed to.
  const received = new Promise<string>((resolve) => a.once('message', (_topic, payload) => resolve(payload.toString())))
  await b.publishAsync('factory/idle-a/anomalies', 'hello', { qos: 1 })
  assert.equal(await received, 'hello')
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

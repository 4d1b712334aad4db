import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { createLogger } from '@factory-edge/shared/runtime'
import { startSimulator } from '../src/index.js'
import { eventually } from '@factory-edge/test-support/wait'

const logger = createLogger('backpressure-test', { level: 'silent' })
const cleanups: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

test('a broker that stops reading fills the bounded queue: the oldest readings are dropped and counted, the rest flow when it reads again', async () => {
  // A minimal broker: accepts the connection (CONNACK), then reads nothing until told to.
  const sockets: net.Socket[] = []
  let received = 0
  const server = net.createServer((socket) => {
    sockets.push(socket)
    socket.once('data', () => {
      socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00]))
      socket.pause()
      socket.on('data', (d: Buffer) => { received += d.length })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const sim = await startSimulator({
    brokerUrl: `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    machines: 100,
    rateHz: 200,
    seed: 1,
    logger,
    connection: 'shared',
    queueLimit: 500
  })
  cleanups.push(sim.stop)
  await eventually(() => sim.stats().dropped > 0, 30_000, 'drops while the broker does not read')
  const stalled = sim.stats()
  assert.equal(stalled.connected, 1, 'still connected: the broker is slow, not gone')
  assert.equal(stalled.queued, 500)
  assert.equal(stalled.readings, stalled.published + stalled.queued + stalled.dropped)

  for (const s of sockets) s.resume()
  await eventually(() => sim.stats().queued < 500 && received > 0, 30_000, 'the queue to drain once the broker reads again')
  const after = sim.stats()
  assert.ok(after.published > stalled.published)
})

import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import mqttPacket from 'mqtt-packet'
import { createLogger } from '@factory-edge/shared/runtime'
import { startSimulator, type SimulatorHandle } from '../src/index.js'
import { eventually } from '@factory-edge/test-support/wait'

const logger = createLogger('backpressure-test', { level: 'silent' })
const cleanups: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

/** Starts `server` on a free port and a 100-machine simulator on one connection to it, queue limit 500. */
async function simulatorAgainst (server: net.Server, sockets: net.Socket[], options: { rateHz: number, qos?: 0 | 1, maxInflight?: number }): Promise<SimulatorHandle> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const sim = await startSimulator({
    brokerUrl: `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    machines: 100,
    seed: 1,
    logger,
    connection: 'shared',
    queueLimit: 500,
    ...options
  })
  cleanups.push(sim.stop)
  return sim
}

test('QoS 0: a broker that stops reading fills the bounded queue: the oldest readings are dropped and counted, the rest flow when it reads again', async () => {
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
  const sim = await simulatorAgainst(server, sockets, { rateHz: 200, qos: 0 })
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

test('QoS 1 (the default): a broker that stops acknowledging holds at most the in-flight window; the rest wait in the bounded queue and flow once PUBACKs come', async () => {
  // A minimal broker: CONNACK, then reads every PUBLISH but acknowledges none until told to.
  const unacked: number[] = []
  let acking = false
  let publishes = 0
  const sockets: net.Socket[] = []
  const server = net.createServer((socket) => {
    sockets.push(socket)
    const parser = mqttPacket.parser()
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connect') socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }))
      if (packet.cmd !== 'publish' || packet.qos !== 1) return
      publishes++
      if (acking) socket.write(mqttPacket.generate({ cmd: 'puback', messageId: packet.messageId }))
      else unacked.push(packet.messageId ?? 0)
    })
    socket.on('data', (d: Buffer) => parser.parse(d))
  })
  const sim = await simulatorAgainst(server, sockets, { rateHz: 50, maxInflight: 200 })
  await eventually(() => sim.stats().dropped > 0, 30_000, 'drops while the broker does not acknowledge')
  const stalled = sim.stats()
  assert.equal(stalled.connected, 1)
  assert.equal(stalled.queued, 500)
  // The retained status messages are QoS 1 too but outside the telemetry window.
  assert.ok(unacked.length <= 200 + 100, `${unacked.length} publishes unacknowledged`)
  assert.equal(stalled.readings, stalled.published + stalled.queued + stalled.dropped)

  acking = true
  for (const s of sockets) for (const messageId of unacked.splice(0)) s.write(mqttPacket.generate({ cmd: 'puback', messageId }))
  await eventually(() => sim.stats().queued < 500 && sim.stats().published > stalled.published + 500, 30_000, 'the queue to drain once PUBACKs come')
  assert.ok(publishes > stalled.published)
})

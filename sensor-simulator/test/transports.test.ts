import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import tls from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'
import { decodeTelemetry } from '@factory-edge/shared/contract'
import { createLogger } from '@factory-edge/shared/runtime'
import { startSimulator } from '../src/index.js'
import { eventually } from '@factory-edge/test-support/wait'

const logger = createLogger('transports-test', { level: 'silent' })
const dir = mkdtempSync(join(tmpdir(), 'sim-transports-'))
const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })]
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

test('publishes over mqtts:// to a broker whose certificate it verifies with the given CA, and refuses an unknown one', async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
  const cert = readFileSync(join(dir, 'cert.pem'))
  const aedes = await Aedes.createBroker()
  const received: Buffer[] = []
  aedes.on('publish', (packet) => { if (packet.topic.endsWith('/telemetry')) received.push(packet.payload as Buffer) })
  const server = tls.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, aedes.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const url = `mqtts://127.0.0.1:${(server.address() as { port: number }).port}`

  const untrusted = await startSimulator({ brokerUrl: url, machines: 1, seed: 1, logger, connectWaitMs: 1000, connection: 'shared' })
  cleanups.push(untrusted.stop)
  assert.equal(untrusted.stats().connected, 0, 'a self-signed broker certificate is refused without --ca-file')
  await untrusted.stop()

  const sim = await startSimulator({ brokerUrl: url, ca: cert, machines: 2, rateHz: 20, seed: 1, logger })
  cleanups.push(sim.stop)
  assert.equal(sim.stats().connected, 2)
  await eventually(() => received.length >= 10, 10_000, 'readings over TLS')
  assert.ok(received.every((p) => decodeTelemetry(p).ok))
})

test('publishes over ws:// (several MQTT packets per WebSocket frame)', async () => {
  const aedes = await Aedes.createBroker()
  const received: Buffer[] = []
  aedes.on('publish', (packet) => { if (packet.topic.endsWith('/telemetry')) received.push(packet.payload as Buffer) })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  wss.on('connection', (socket) => aedes.handle(createWebSocketStream(socket)))
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  cleanups.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    for (const client of wss.clients) client.terminate()
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  })
  const sim = await startSimulator({ brokerUrl: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, machines: 20, rateHz: 50, seed: 2, logger, connection: 'shared' })
  cleanups.push(sim.stop)
  assert.equal(sim.stats().connected, 1)
  await eventually(() => received.length >= 500, 15_000, 'readings over WebSocket')
  assert.ok(received.every((p) => decodeTelemetry(p).ok))
})

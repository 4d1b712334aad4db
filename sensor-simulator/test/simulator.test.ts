import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { decodeTelemetry, type GroundTruth, type MachineStatus } from '@factory-edge/shared/contract'
import { createLogger } from '@factory-edge/shared/runtime'
import { startSimulator } from '../src/index.js'
import { startAedes } from '@factory-edge/test-support/aedes'
import { startMosquitto } from '@factory-edge/test-support/mosquitto'
import { eventually } from '@factory-edge/test-support/wait'
import { record } from './helpers/recorder.js'

const logger = createLogger('sensor-simulator-test', { level: 'silent' })
const cleanups: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

test('publishes valid telemetry, retained online status, ground truth, and offline on stop (aedes)', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const sim = await startSimulator({
    brokerUrl: broker.url, machines: 3, rateHz: 20, seed: 7, logger, scenarios: ['overheat:machine-2@0.5s', 'stuck:machine-3@0.2s+1s']
  })
  cleanups.push(sim.stop)
  await eventually(() => rec.of('telemetry').length >= 90 && rec.of('truth').length >= 3, 20_000, '90 readings and the truth')
  for (const m of rec.of('telemetry')) {
    const machineId = m.topic.split('/')[1]
    const decoded = decodeTelemetry(m.payload, machineId)
    assert.ok(decoded.ok, `${m.topic}: ${m.payload.toString()}`)
  }
  const online = rec.of('status').map((m) => JSON.parse(m.payload.toString()) as MachineStatus)
  assert.deepEqual(online.map((s) => s.machineId).sort(), ['machine-1', 'machine-2', 'machine-3'])
  assert.ok(online.every((s) => s.status === 'online'))
  const truth = rec.of('truth').map((m) => JSON.parse(m.payload.toString()) as GroundTruth)
  assert.ok(truth.some((t) => t.machineId === 'machine-2' && t.kind === 'failure' && t.mode === 'HDF' && t.phase === 'start' && t.seq === 10))
  assert.ok(truth.some((t) => t.machineId === 'machine-3' && t.kind === 'sensor_fault' && t.mode === 'stuck' && t.phase === 'start' && t.seq === 4))
  assert.ok(truth.some((t) => t.machineId === 'machine-3' && t.mode === 'stuck' && t.phase === 'end' && t.seq === 24))

  await sim.stop()
  await eventually(() => rec.of('status').length >= 6, 10_000, 'offline statuses')
  const offline = rec.of('status').slice(3).map((m) => JSON.parse(m.payload.toString()) as MachineStatus)
  assert.ok(offline.every((s) => s.status === 'offline'))
  // Retained: a late subscriber sees the last status of every machine.
  const late = await record(broker.url, 'factory/+/status')
  cleanups.push(late.close)
  await eventually(() => late.messages.length >= 3, 10_000, 'retained statuses')
  assert.ok(late.messages.every((m) => m.retain && JSON.parse(m.payload.toString()).status === 'offline'))
  const stats = sim.stats()
  assert.equal(stats.dropped, 0)
  assert.ok(stats.readings >= 90)
})

test('the same seed and start time give the same bytes on the wire', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const runs: string[][] = []
  for (let run = 0; run < 2; run++) {
    const rec = await record(broker.url, 'det/#')
    const sim = await startSimulator({
      brokerUrl: broker.url,
      machines: 2,
      rateHz: 50,
      seed: 1234,
      startTs: 1_700_000_000_000,
      topicPrefix: 'det',
      logger,
      connection: 'shared',
      scenarios: ['PWF:machine-1@0.1s', 'garbage:machine-2@0.2s', 'nan:machine-2@0.4s']
    })
    await eventually(() => rec.of('telemetry').length >= 60 && rec.of('truth').length >= 5, 20_000, '60 readings and the truth')
    await sim.stop()
    await rec.close()
    // Per topic: MQTT orders messages within a topic, not across topics (truth goes out with QoS 1, telemetry with 0).
    const ofTopic = (topic: string, n: number): string[] => rec.messages.filter((m) => m.topic === topic).slice(0, n).map((m) => m.payload.toString('base64'))
    runs.push([...ofTopic('det/machine-1/telemetry', 25), ...ofTopic('det/machine-2/telemetry', 25), ...ofTopic('det/machine-1/truth', 1), ...ofTopic('det/machine-2/truth', 4)])
  }
  assert.equal(runs[0].length, 55)
  assert.deepEqual(runs[0], runs[1])
})

test('faulty payloads go out as such: garbage is not JSON, nan is not JSON, dropout publishes nothing', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const sim = await startSimulator({
    brokerUrl: broker.url,
    machines: ['press-1', 'lathe-2'],
    rateHz: 50,
    seed: 3,
    logger,
    scenarios: ['garbage:press-1@0.1s+0.1s', 'nan:lathe-2@0.1s+0.1s', 'dropout:press-1@0.4s+0.2s']
  })
  cleanups.push(sim.stop)
  await eventually(() => sim.stats().readings >= 80, 20_000, '80 readings')
  await sim.stop()
  await eventually(() => rec.of('status').length >= 4, 10_000, 'offline statuses')
  const reasons = new Map<string, number>()
  for (const m of rec.of('telemetry')) {
    const d = decodeTelemetry(m.payload)
    const key = d.ok ? 'ok' : d.reason
    reasons.set(key, (reasons.get(key) ?? 0) + 1)
  }
  assert.equal(reasons.get('not_json'), 10)
  const stats = sim.stats()
  assert.equal(stats.suppressed, 10)
  assert.equal(rec.of('telemetry').length, stats.readings - 10)
})

test('marks a machine offline through its last will when its connection breaks, then reconnects and republishes online', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/+/status')
  cleanups.push(rec.close)
  const sim = await startSimulator({ brokerUrl: broker.url, machines: 2, rateHz: 5, seed: 1, logger, clientId: 'will-test', reconnectMinMs: 100 })
  cleanups.push(sim.stop)
  await eventually(() => rec.messages.length >= 2, 10_000, 'online statuses')
  const client = broker.clients?.()['will-test-machine-2']
  assert.ok(client !== undefined, 'per-machine client id')
  client.close()
  await eventually(() => rec.messages.some((m) => JSON.parse(m.payload.toString()).status === 'offline'), 10_000, 'the last will')
  const will = rec.messages.map((m) => JSON.parse(m.payload.toString()) as MachineStatus).find((s) => s.status === 'offline')
  assert.equal(will?.machineId, 'machine-2')
  await eventually(() => rec.messages.filter((m) => m.topic === 'factory/machine-2/status').length >= 3, 10_000, 'online again')
  const last = rec.messages.filter((m) => m.topic === 'factory/machine-2/status').at(-1)
  assert.equal(JSON.parse(last!.payload.toString()).status, 'online')
})

test('queues while the broker is down, drops the oldest beyond the limit and says so, then delivers the rest', async () => {
  // Hold the port with a server that hangs up on every connection (a broker that is down), so that no
  // other test's broker can take it before ours starts there.
  const down = net.createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve))
  const port = (down.address() as net.AddressInfo).port
  const url = `mqtt://127.0.0.1:${port}`
  const sim = await startSimulator({
    brokerUrl: url, machines: 1, rateHz: 100, seed: 2, logger, connection: 'shared', queueLimit: 50, connectWaitMs: 200, reconnectMinMs: 100, reconnectMaxMs: 200
  })
  cleanups.push(sim.stop)
  await eventually(() => sim.stats().dropped > 20, 15_000, 'drops')
  assert.equal(sim.stats().queued, 50)
  await new Promise<void>((resolve) => down.close(() => resolve()))
  const broker = await startAedes(port)
  cleanups.push(broker.close)
  const rec = await record(url, 'factory/#')
  cleanups.push(rec.close)
  await eventually(() => sim.stats().connected === 1 && sim.stats().queued === 0, 15_000, 'reconnection')
  await eventually(() => rec.of('telemetry').length >= 20, 15_000, 'live readings')
  const stats = sim.stats()
  assert.ok(stats.published + stats.dropped + stats.queued + stats.lost >= stats.readings, JSON.stringify(stats))
})

test('works with mosquitto and password authentication', async () => {
  const broker = await startMosquitto({ users: { sim: 's3cret', reader: 'r3ad' } })
  cleanups.push(async () => { await broker.stop(); await broker.cleanup() })
  const rec = await record(broker.url, 'factory/#', { username: 'reader', password: 'r3ad' })
  cleanups.push(rec.close)
  const sim = await startSimulator({ brokerUrl: broker.url, machines: 2, rateHz: 20, seed: 5, logger, username: 'sim', password: 's3cret', qos: 1 })
  cleanups.push(sim.stop)
  await eventually(() => rec.of('telemetry').length >= 20, 15_000, 'readings through mosquitto')
  assert.ok(rec.of('telemetry').every((m) => decodeTelemetry(m.payload).ok))
  await sim.stop()
  assert.equal(sim.stats().lost, 0)

  const wrong = await startSimulator({ brokerUrl: broker.url, machines: 1, seed: 5, logger, username: 'sim', password: 'wrong', connectWaitMs: 500, connection: 'shared' })
  cleanups.push(wrong.stop)
  assert.equal(wrong.stats().connected, 0)
  await wrong.stop()
})

test('rejects unknown machines and modes with a clear error', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const sim = await startSimulator({ brokerUrl: broker.url, machines: 1, seed: 1, logger, connection: 'shared' })
  cleanups.push(sim.stop)
  assert.throws(() => sim.injectFailure('machine-9', 'HDF'), /unknown machine "machine-9"/)
  assert.throws(() => sim.injectFailure('machine-1', 'melt'), /unknown failure or fault mode "melt"/)
  sim.injectFailure('machine-1', 'overheat')
  await assert.rejects(startSimulator({ brokerUrl: broker.url, machines: 1, logger, scenarios: ['overheat:machine-7@1s'] }), /unknown machine/)
  await assert.rejects(startSimulator({ brokerUrl: broker.url, machines: 1, logger, scenarios: ['melt:machine-1@1s'] }), /unknown mode "melt"/)
  await assert.rejects(startSimulator({ brokerUrl: broker.url, machines: ['bad/id'], logger }), /invalid machine id/)
})

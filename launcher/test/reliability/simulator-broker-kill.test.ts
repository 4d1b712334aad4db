import { test } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { decodeTelemetry } from '@factory-edge/shared/contract'
import { createLogger } from '@factory-edge/shared/runtime'
import { startSimulator } from '@factory-edge/sensor-simulator'
import { eventually } from '@factory-edge/test-support/wait'
import { startBroker } from './brokers.js'

// At-least-once from the simulator: QoS 1 readings in flight when the broker is SIGKILLed are kept by
// the simulator's MQTT client and sent again after it reconnects, so every reading the simulator
// counts as published (and not as lost or dropped) reaches a persistent QoS 1 subscriber. Our broker
// acknowledges a QoS 1 PUBLISH only once its LevelDB store holds it, so nothing it acknowledged is lost
// (Mosquitto's snapshot store can lose acknowledged messages on SIGKILL, which would hide the client's
// share; the broker side is covered by broker-kill.test.ts).

const logger = createLogger('simulator-broker-kill-test', { level: 'silent' })
const KILLS = 3

test('simulator QoS 1: readings in flight when the broker is SIGKILLed are re-sent, the rest are counted', { timeout: 120_000 }, async (t) => {
  const broker = await startBroker('aedes')
  t.after(async () => { await broker.stop(); await broker.cleanup() })

  const received = new Set<string>()
  let duplicates = 0
  const subscriber = mqtt.connect(broker.url, { clientId: 'sim-kill-subscriber', clean: false, reconnectPeriod: 200 })
  t.after(() => subscriber.endAsync(true))
  subscriber.on('message', (topic, payload) => {
    const machineId = topic.split('/')[1]
    const r = decodeTelemetry(payload, machineId)
    if (!r.ok) return
    const key = `${r.value.machineId}#${r.value.seq}`
    if (received.has(key)) duplicates++
    received.add(key)
  })
  await new Promise((resolve) => subscriber.once('connect', resolve))
  await subscriber.subscribeAsync('factory/+/telemetry', { qos: 1 })

  const sim = await startSimulator({
    brokerUrl: broker.url, machines: 5, rateHz: 200, seed: 17, qos: 1, logger, queueLimit: 1_000_000, reconnectMinMs: 100, reconnectMaxMs: 400
  })
  t.after(() => sim.stop())
  for (let kill = 0; kill < KILLS; kill++) {
    // Kill while readings stream: the PUBACKs of the last few are never sent.
    const before = received.size
    await eventually(() => received.size >= before + 500, 30_000, 'readings flowing')
    await broker.kill()
    await new Promise((resolve) => setTimeout(resolve, 300))
    await broker.restart()
  }
  // After a reconnection mqtt.js re-sends its unacknowledged messages one at a time before new ones: let it catch up.
  await eventually(() => { const s = sim.stats(); return s.connected === s.connections && s.queued === 0 && received.size >= s.published - 1000 }, 60_000, 'the simulator caught up')
  await sim.stop()
  const stats = sim.stats()
  const delivered = stats.published - stats.lost
  await eventually(() => received.size >= delivered, 20_000, `${delivered} readings at the subscriber`).catch(() => {})
  t.diagnostic(`readings ${stats.readings}, published ${stats.published}, lost ${stats.lost}, dropped ${stats.dropped}, received ${received.size} (+${duplicates} duplicates)`)

  // Every reading taken is either received or counted as lost or dropped: none vanishes uncounted.
  assert.equal(stats.readings, received.size + stats.lost + stats.dropped + stats.queued)
  // With an unbounded queue and a stop that waits for the acknowledgements, none is lost at all.
  assert.equal(stats.dropped, 0)
  assert.equal(stats.lost, 0)
  const perMachine = new Map<string, number>()
  for (const key of received) {
    const [machine] = key.split('#')
    perMachine.set(machine, (perMachine.get(machine) ?? 0) + 1)
  }
  for (const id of sim.machineIds) {
    const count = perMachine.get(id) ?? 0
    for (let seq = 0; seq < count; seq++) assert.ok(received.has(`${id}#${seq}`), `${id} reading ${seq} missing`)
  }
})

test('simulator QoS 1: stopped while the broker is down, it counts what never got through as lost or queued', { timeout: 60_000 }, async (t) => {
  const broker = await startBroker('aedes')
  t.after(async () => { await broker.stop(); await broker.cleanup() })
  const received = new Set<string>()
  const subscriber = mqtt.connect(broker.url, { clientId: 'sim-stop-subscriber', clean: false, reconnectPeriod: 200 })
  t.after(() => subscriber.endAsync(true))
  subscriber.on('message', (topic, payload) => {
    const r = decodeTelemetry(payload, topic.split('/')[1])
    if (r.ok) received.add(`${r.value.machineId}#${r.value.seq}`)
  })
  await new Promise((resolve) => subscriber.once('connect', resolve))
  await subscriber.subscribeAsync('factory/+/telemetry', { qos: 1 })
  const sim = await startSimulator({ brokerUrl: broker.url, machines: 2, rateHz: 500, seed: 5, qos: 1, logger, reconnectMinMs: 100, reconnectMaxMs: 400 })
  t.after(() => sim.stop())
  await eventually(() => received.size >= 500, 30_000, 'readings flowing')
  await broker.kill()
  await new Promise((resolve) => setTimeout(resolve, 300))
  await sim.stop()
  // Back up for the subscriber only: what the broker acknowledged before the kill is delivered now.
  await broker.restart()
  const stats = sim.stats()
  await eventually(() => received.size >= stats.published - stats.lost, 20_000, 'every acknowledged reading').catch(() => {})
  t.diagnostic(`readings ${stats.readings}, published ${stats.published}, lost ${stats.lost}, queued ${stats.queued}, received ${received.size}`)
  assert.ok(stats.queued > 0, 'readings taken while the broker was down are still queued')
  assert.ok(stats.lost > 0, 'readings in flight at the kill are counted as lost')
  assert.equal(stats.readings, stats.published + stats.queued + stats.dropped)
  // Lost means unacknowledged: the broker may have stored one whose PUBACK the kill swallowed, so
  // some "lost" readings may still arrive, but every reading not counted as lost did.
  assert.ok(received.size >= stats.published - stats.lost, `${stats.published - stats.lost} acknowledged, ${received.size} received`)
  assert.ok(received.size <= stats.published)
})

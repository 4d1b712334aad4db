import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import mqtt, { type MqttClient } from 'mqtt'
import { freePort } from '@factory-edge/test-support/ports'
import { BROKERS, checkAccount, machineIds, passwordOf, publishReadings, readingPlan, startStack } from './harness.js'

/** Connects once, without retries; rejects with the broker's refusal. */
async function connectOnce (url: string, options: mqtt.IClientOptions): Promise<MqttClient> {
  return await new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...options })
    client.once('connect', () => resolve(client))
    client.once('error', (err) => { client.end(true); reject(err) })
    client.once('close', () => reject(new Error('closed before CONNACK')))
  })
}

async function closed (client: MqttClient, ms: number): Promise<boolean> {
  if (!client.connected) return true
  return await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    client.once('close', () => { clearTimeout(timer); resolve(true) })
  })
}

// Scenario 5: password file and the repository's config/acl on both brokers. Wrong passwords and
// anonymous clients are refused; a machine publishing into another machine's topic is denied by the
// broker (and counted by factory-broker); a machine that claims another id in its own topic is
// rejected and counted by the detector; a packet over the size limit disconnects only its sender,
// while the simulator's stream is scored in full.
describe('reliability: security', () => {
  for (const kind of BROKERS) {
    test(`${kind}: refused logins, denied and counted cross-machine publishes, oversize sender disconnected, others carry on`, { timeout: 120_000 }, async (t) => {
      const brokerHttpPort = kind === 'aedes' ? await freePort() : undefined
      const stack = await startStack(t, kind, { name: 'security', durable: false, auth: true, brokerHttpPort })
      const url = stack.broker.url

      await assert.rejects(connectOnce(url, {}), /Not authorized|Bad username or password|closed/i, 'anonymous refused')
      await assert.rejects(connectOnce(url, { username: 'machine-1', password: 'wrong' }), /Not authorized|Bad username or password|closed/i, 'wrong password refused')

      const plan = readingPlan(machineIds('machine-', 6).slice(1), 80)
      const publisher = publishReadings(url, plan, { clientId: `rel-security-sim-${kind}`, username: 'simulator', password: passwordOf('simulator'), ratePerSec: plan.length / 4 })
      t.after(() => publisher.client.endAsync(true))

      // machine-1 into machine-2's topic: the ACL denies it, nothing reaches the detector.
      const intruder = await connectOnce(url, { clientId: `rel-security-m1-${kind}`, username: 'machine-1', password: passwordOf('machine-1') })
      t.after(() => intruder.endAsync(true))
      const foreign = JSON.stringify({ machineId: 'machine-2', ts: Date.now(), seq: 1, temperature: 36, airTemperature: 26, rpm: 1500, torque: 40, toolWear: 10, humidity: 45 })
      for (let i = 0; i < 5; i++) intruder.publish('factory/machine-2/telemetry', foreign, { qos: 0 })
      // machine-2 in its own topic, but claiming to be machine-1: allowed by the ACL, rejected by the detector.
      const liar = await connectOnce(url, { clientId: `rel-security-m2-${kind}`, username: 'machine-2', password: passwordOf('machine-2') })
      t.after(() => liar.endAsync(true))
      for (let i = 0; i < 7; i++) await liar.publishAsync('factory/machine-2/telemetry', foreign.replace('"machine-2"', '"machine-1"'), { qos: 1 })
      // An oversize packet (300 kB > max_packet_size 256 kB) closes that connection only.
      liar.publish('factory/machine-2/telemetry', 'x'.repeat(300_000), { qos: 0 })
      assert.ok(await closed(liar, 15_000), 'the oversize sender was disconnected')

      await publisher.done
      assert.equal(publisher.failed, 0)
      assert.ok(publisher.client.connected, 'the simulator carried on')
      const c = await checkAccount(t, stack, plan, { published: plan.length + 7, rejected: 7, minEvents: 10 })
      assert.deepEqual(c.rejected, { topic_mismatch: 7 })
      assert.equal(c.scored, plan.length)
      if (brokerHttpPort !== undefined) {
        const metrics = await (await fetch(`http://127.0.0.1:${brokerHttpPort}/metrics`)).text()
        assert.match(metrics, /factory_broker_acl_denials_total\{action="publish"\} [1-9]/, 'denied publishes counted by the broker')
        assert.match(metrics, /factory_broker_auth_failures_total [2-9]/, 'refused logins counted')
        assert.match(metrics, /factory_broker_oversized_packets_total 1/, 'the oversize packet counted')
      }
    })
  }
})

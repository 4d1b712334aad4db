import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { startMosquitto } from '@factory-edge/test-support/mosquitto'
import { startNatsCluster } from '@factory-edge/test-support/nats'
import { startTcpLink } from '@factory-edge/test-support/tcp-link'
import { eventually } from '@factory-edge/test-support/wait'
import { createStreamAndFindLeader, streamReadings } from './nats-stack.js'
import { machineIds, publishReadings, readingPlan } from './traffic.js'

// Scenario: a hall gateway's Mosquitto bridged into a three-node NATS cluster's MQTT listener with the
// shipped bridge settings (deploy/mosquitto/bridge-to-nats.conf) and the cluster's users of
// deploy/nats/nats.conf, through a TCP link the test cuts. Sensors publish QoS 1 telemetry to the gateway
// at a steady rate; the link is cut mid-stream (the uplink is down: every connection reset, new ones
// refused) while they go on publishing, then restored. The account: the gateway acknowledged every
// publish during the outage, and every reading reaches the telemetry stream; copies stored twice are
// counted (docs/scaling.md says what to expect). The link rather than the cluster goes down: a whole
// cluster's restart adds a JetStream recovery of 10 to 30 s during which the bridge's attempts fail.

/** deploy/nats/nats.conf's users (name → a test password), so that the bridge logs in as the cluster would let it. */
async function natsConfUsers (): Promise<Record<string, string>> {
  const conf = await readFile('deploy/nats/nats.conf', 'utf8')
  const users = [...conf.matchAll(/\{\s*user:\s*([\w-]+),\s*password:\s*\$\w+\s*\}/g)].map((m) => m[1])
  assert.ok(users.length > 0, 'deploy/nats/nats.conf has users')
  return Object.fromEntries(users.map((u) => [u, `test-${u}`]))
}

/** The shipped bridge configuration with the address of the link and the bridge user's test password. */
async function bridgeLines (port: number, users: Record<string, string>): Promise<string[]> {
  const lines = (await readFile('deploy/mosquitto/bridge-to-nats.conf', 'utf8')).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))
  // What nats-server 2.9 needs, checked as such: with Mosquitto's private protocol level (0x84) the first
  // attempt is refused and the fallback is not reliable (docs/scaling.md); a dot in the client id ends up
  // in the notification topic, and nats-server closes a connection that uses such a topic.
  assert.ok(lines.includes('try_private false'), 'try_private false')
  assert.match(lines.find((l) => l.startsWith('remote_clientid ')) ?? '', /^remote_clientid [^.\s]+$/, 'a client id without a dot')
  const user = lines.find((l) => l.startsWith('remote_username '))?.split(' ')[1]
  assert.ok(user !== undefined && users[user] !== undefined, `the bridge's user ${String(user)} is one of deploy/nats/nats.conf's users: ${Object.keys(users).join(', ')}`)
  return lines.map((l) => l.startsWith('address ')
    ? `address 127.0.0.1:${port}`
    : l.startsWith('remote_password ') ? `remote_password ${users[user]}` : l)
}

test('a gateway\'s Mosquitto bridged into the NATS cluster: QoS 1 telemetry reaches the stream, the gateway acknowledges while the uplink is cut and forwards everything afterwards', {
  timeout: 90_000
}, async (t) => {
  const users = await natsConfUsers()
  const login = { user: 'detector', pass: users.detector }
  const cluster = await startNatsCluster({ partitions: 4, users })
  t.after(async () => { await cluster.stop(); await cluster.cleanup() })
  // The bridge is one MQTT connection: on the stream leader's node a QoS 1 publish is acknowledged fastest.
  const entry = await createStreamAndFindLeader(cluster, login)
  const uplink = await startTcpLink(Number(new URL(entry.mqttUrl).port))
  t.after(uplink.cut)
  const gateway = await startMosquitto({ persistent: true, lines: await bridgeLines(uplink.port, users) })
  t.after(async () => { await gateway.stop(); await gateway.cleanup() })

  const plan = readingPlan(machineIds('hall3-', 5), 60)
  const sensors = publishReadings(gateway.url, plan, { clientId: 'hall3-sensors', ratePerSec: 40 })
  t.after(async () => await sensors.client.endAsync(true))

  const stored = async (): Promise<number> => (await streamReadings(cluster.servers, 0, login)).length
  await eventually(async () => await stored() >= 40, 15_000, 'the bridge forwarding into the stream')

  await uplink.cut()
  const ackedAtCut = sensors.acked
  await eventually(() => sensors.acked >= ackedAtCut + 80, 10_000, 'the gateway acknowledging with the uplink down')
  const ackedDuringOutage = sensors.acked - ackedAtCut
  await uplink.restore()
  const restoredAt = Date.now()
  await sensors.done
  assert.equal(sensors.failed, 0, 'every publish to the gateway acknowledged')

  // Every reading in the stream, counted by machine and sequence number.
  const copies = new Map<string, number>()
  await eventually(async () => {
    copies.clear()
    for (const r of await streamReadings(cluster.servers, 0, login).catch(() => [])) copies.set(`${r.machineId}|${r.seq}`, (copies.get(`${r.machineId}|${r.seq}`) ?? 0) + 1)
    return copies.size >= plan.length
  }, 30_000, 'every reading in the stream').catch(() => {})
  t.diagnostic(`every reading in the stream ${((Date.now() - restoredAt) / 1000).toFixed(1)} s after the link was restored`)
  const missing = plan.filter((r) => !copies.has(`${r.machineId}|${r.seq}`)).map((r) => `${r.machineId}#${r.seq}`)
  const duplicates = [...copies.values()].reduce((n, c) => n + c - 1, 0)
  t.diagnostic(`${plan.length} readings, ${ackedDuringOutage} of them acknowledged by the gateway with the uplink down; in the stream: ${copies.size} distinct, ${duplicates} stored twice or more, ${missing.length} missing`)
  assert.deepEqual(missing, [], 'readings missing from the stream')
})

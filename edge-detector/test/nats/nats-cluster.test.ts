import { test } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { connect } from 'nats'
import { mqttTopicOfPartitionedSubject, natsTelemetrySubjects } from '@factory-edge/shared/contract'
import { startNatsCluster } from '@factory-edge/test-support/nats'
import { eventually } from '@factory-edge/test-support/wait'

test('a three-node nats-server cluster: MQTT QoS 1 telemetry lands in an R3 stream, each machine in one partition by the server\'s mapping', async (t) => {
  const cluster = await startNatsCluster({ partitions: 4 })
  t.after(async () => { await cluster.stop(); await cluster.cleanup() })
  const nc = await connect({ servers: cluster.servers })
  t.after(async () => await nc.close())
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({ name: 'T', subjects: [natsTelemetrySubjects()], num_replicas: 3 })

  const machines = ['press-1', 'press-2', 'lathe_7', 'mill_3', 'oven-9', 'saw-4', 'drill-5', 'robot-6']
  const client = await mqtt.connectAsync(cluster.nodes[1].mqttUrl, { clientId: 'cluster-test-sensors', protocolVersion: 4 })
  t.after(async () => await client.endAsync())
  for (let seq = 0; seq < 5; seq++) {
    for (const id of machines) await client.publishAsync(`factory/${id}/telemetry`, JSON.stringify({ id, seq }), { qos: 1 })
  }

  // The stream's count can trail the last PUBACK for a moment (docs/scaling.md): every publish must be
  // stored, not necessarily in the info asked for at once.
  const total = machines.length * 5
  const first = (await jsm.streams.info('T')).state.messages
  if (first !== total) t.diagnostic(`stream info right after the last PUBACK: ${first} of ${total} messages`)
  await eventually(async () => (await jsm.streams.info('T')).state.messages === total, 10_000, `${total} messages in the stream`)
  const info = await jsm.streams.info('T', { subjects_filter: '>' })
  assert.equal(info.state.messages, total, 'every QoS 1 publish stored')
  assert.equal(info.cluster?.replicas?.length, 2, 'a leader and two replicas')
  const subjects = Object.keys(info.state.subjects ?? {})
  assert.equal(subjects.length, machines.length, 'one subject per machine: each machine in exactly one partition')
  const partitionOf = new Map(subjects.map((s) => [mqttTopicOfPartitionedSubject(s), Number(s.split('.')[1])]))
  assert.deepEqual([...partitionOf.keys()].sort(), machines.map((id) => `factory/${id}/telemetry`).sort(), 'the MQTT topic is recovered from the subject')
  for (const p of partitionOf.values()) assert.ok(p >= 0 && p < 4)
  assert.ok(new Set(partitionOf.values()).size > 1, 'machines spread over partitions')
  for (const s of subjects) assert.equal(info.state.subjects?.[s], 5)
})

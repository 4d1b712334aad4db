import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import mqtt from 'mqtt'
import type { AnomalyEvent } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { startNatsCluster } from '@factory-edge/test-support/nats'
import { anomalousReading, normalReading, payload, writeTestModel } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { startDetector, type DetectorHandle } from '../../src/index.js'
import { quietLogger } from '../helpers/services.js'

const PARTITIONS = 4

test('--source nats: two instances share the partitions by leases, score every reading once, and a leaving instance\'s partitions are taken over with their windows replayed', async (t) => {
  // Torn down in reverse: the detectors and clients before the cluster they talk to.
  const teardown: Array<() => Promise<unknown>> = []
  t.after(async () => { for (const step of teardown.reverse()) await step() })
  const cluster = await startNatsCluster({ partitions: PARTITIONS })
  teardown.push(async () => { await cluster.stop(); await cluster.cleanup() })
  const { dir, cleanup } = await tempDir()
  teardown.push(cleanup)
  const modelPath = join(dir, 'model.json')
  await writeTestModel(modelPath)
  const open = new Set<DetectorHandle>()
  teardown.push(async () => { for (const d of open) await d.close() })
  const start = async (name: string): Promise<DetectorHandle> => {
    const d = await startDetector({
      brokerUrl: cluster.nodes[0].mqttUrl,
      clientId: name,
      modelPath,
      watchModel: false,
      logger: quietLogger(),
      alert: { k: 3, m: 5, cooldownMs: 0 },
      nats: { servers: cluster.servers, stream: 'TELEMETRY', partitions: PARTITIONS, replicas: 3, leaseTtlMs: 3000, replayMs: 600_000, ackWaitMs: 30_000 }
    })
    open.add(d)
    return d
  }
  const partitionsOf = (d: DetectorHandle): number[] => d.stats().nats?.partitions ?? []
  const a = await start('instance-a')
  assert.deepEqual(partitionsOf(a), [0, 1, 2, 3], 'a lone instance takes every partition')
  const b = await start('instance-b')
  await eventually(() => partitionsOf(a).length === 2 && partitionsOf(b).length === 2, 15_000, 'two partitions each')
  assert.deepEqual([...partitionsOf(a), ...partitionsOf(b)].sort(), [0, 1, 2, 3])

  // Anomaly events reach MQTT subscribers through the cluster's MQTT listener (another node).
  const subscriber = await mqtt.connectAsync(cluster.nodes[2].mqttUrl, { clientId: 'nats-source-dashboard', protocolVersion: 4 })
  teardown.push(async () => await subscriber.endAsync())
  const events: AnomalyEvent[] = []
  const stateMessages = new Map<string, number>()
  subscriber.on('message', (topic, message) => {
    if (topic.endsWith('/anomalies')) events.push(JSON.parse(message.toString()) as AnomalyEvent)
    else stateMessages.set(topic, (stateMessages.get(topic) ?? 0) + 1)
  })
  await subscriber.subscribeAsync(['factory/+/anomalies', 'factory/+/state'], { qos: 1 })

  const sensors = await mqtt.connectAsync(cluster.nodes[1].mqttUrl, { clientId: 'nats-source-sensors', protocolVersion: 4 })
  teardown.push(async () => await sensors.endAsync())
  const random = new Random(3)
  const machines = Array.from({ length: 12 }, (_, i) => `cell-${i}`)
  const t0 = Date.now()
  const round = async (seq: number, anomalous?: string): Promise<void> => {
    for (const id of machines) {
      const r = id === anomalous ? anomalousReading(id, seq, t0 + seq * 1000) : normalReading(id, seq, t0 + seq * 1000, random)
      await sensors.publishAsync(`factory/${id}/telemetry`, payload(r), { qos: 1 })
    }
  }
  for (let seq = 0; seq < 12; seq++) await round(seq)
  const scored = (): number => a.stats().scored + b.stats().scored - (a.stats().nats?.replayed ?? 0) - (b.stats().nats?.replayed ?? 0)
  await eventually(() => scored() === 12 * machines.length, 20_000, 'every reading scored')
  const ownedA = a.pipeline.machines.machineIds()
  const ownedB = b.pipeline.machines.machineIds()
  assert.deepEqual([...ownedA, ...ownedB].sort(), [...machines].sort(), 'each machine scored by exactly one instance')
  assert.ok(ownedA.length > 0 && ownedB.length > 0, 'both instances have machines')
  assert.equal(a.stats().duplicates + b.stats().duplicates, 0)

  // b leaves: a takes its partitions, replays their last readings with outputs closed, and goes on with full windows.
  const bMachine = ownedB[0]
  await b.close()
  open.delete(b)
  await eventually(() => partitionsOf(a).length === PARTITIONS, 15_000, 'a takes over every partition')
  await eventually(() => (a.stats().nats?.replayed ?? 0) === 12 * ownedB.length, 15_000, 'b\'s readings replayed')
  const slot = a.pipeline.machines.slotOf(bMachine)
  assert.equal(a.pipeline.machines.windows[slot]?.count, 10, 'the taken-over machine\'s window is full (TEST_SPEC window 10), not reset')
  assert.equal(events.length, 0, 'no events from normal readings or their replay')
  const eventsBefore = events.length
  for (let seq = 12; seq < 18; seq++) await round(seq, bMachine)
  await eventually(() => a.stats().scored - (a.stats().nats?.replayed ?? 0) === 18 * machines.length - 12 * ownedB.length, 20_000, 'a scores the rest')
  await eventually(() => events.length > eventsBefore, 15_000, 'an anomaly event of the taken-over machine on MQTT')
  const raised = events.slice(eventsBefore).find((e) => e.machineId === bMachine && e.state === 'raised')
  assert.ok(raised !== undefined, `raised for ${bMachine}: ${JSON.stringify(events)}`)
  assert.equal(raised.window.size, 10, 'the event\'s window spans replayed readings')
  // a publishes in order on one MQTT session: the replay's output, had it any, came before this event.
  for (const id of ownedB) {
    const expected = id === bMachine ? 2 : 1
    assert.equal(stateMessages.get(`factory/${id}/state`), expected, `${id}: its state once when b first saw it${id === bMachine ? ' and once at the raise' : ''}, none from a's replay`)
  }
  assert.equal(a.stats().duplicates, 0)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { Random } from '@factory-edge/shared/ml'
import { startDetector, type DetectorHandle } from '../src/index.js'
import { normalReading, payload, writeTestModel } from '@factory-edge/test-support/readings'
import { startMosquitto } from '@factory-edge/test-support/mosquitto'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { quietLogger } from './helpers/services.js'

test('with Mosquitto: three shards cover every machine exactly once, and a persistent session keeps readings across a restart', async (t) => {
  const mosquitto = await startMosquitto()
  const { dir, cleanup } = await tempDir()
  const open = new Set<DetectorHandle>()
  let publisher: mqtt.MqttClient | undefined
  t.after(async () => {
    for (const d of open) await d.close()
    await publisher?.endAsync()
    await mosquitto.stop()
    await mosquitto.cleanup()
    await cleanup()
  })
  const modelPath = join(dir, 'model.json')
  await writeTestModel(modelPath)
  const start = async (shard: string): Promise<DetectorHandle> => await startDetector({ brokerUrl: mosquitto.url, modelPath, shard, logger: quietLogger(), watchModel: false })
  const detectors = await Promise.all(['1/3', '2/3', '3/3'].map(start))
  for (const d of detectors) open.add(d)

  const client = publisher = await mqtt.connectAsync(mosquitto.url, { clientId: 'shard-publisher' })
  const random = new Random(6)
  const machines = Array.from({ length: 60 }, (_, i) => `cell-${i}`)
  const now = Date.now()
  const publishRound = async (seq: number): Promise<void> => {
    for (const id of machines) await client.publishAsync(`factory/${id}/telemetry`, payload(normalReading(id, seq, now + seq * 1000, random)), { qos: 1 })
  }
  await publishRound(0)
  await publishRound(1)
  // Every shard receives every reading; wait until the last one reached the shards that skip it too.
  await eventually(() => detectors.reduce((n, d) => n + d.stats().scored, 0) === 120 && detectors.every((d) => d.stats().otherShard + d.stats().messagesIn >= 120), 15_000, '120 readings scored in all and seen by every shard')
  const owned = detectors.map((d) => d.pipeline.machines.machineIds())
  assert.deepEqual(owned.flat().sort(), [...machines].sort(), 'every machine exactly once')
  for (const d of detectors) assert.equal(d.stats().otherShard + d.stats().messagesIn, 120, 'each shard sees everything and skips what is not its own')

  // Shard 2 restarts; what is published meanwhile waits in its persistent session.
  const second = detectors[1]
  await second.close()
  open.delete(second)
  await publishRound(2)
  await publishRound(3)
  const restarted = await start('2/3')
  open.add(restarted)
  const expected = owned[1].length * 2
  await eventually(() => restarted.stats().scored === expected, 15_000, `${expected} readings published during the restart`)
  assert.equal(restarted.stats().duplicates, 0)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startProcess } from '@factory-edge/test-support/child-process'
import { eventually } from '@factory-edge/test-support/wait'
import { dbAccount } from './account.js'
import { startDetectorProcess, type DetectorProcess } from './detector-process.js'
import { natsDetectorArgs, startNatsStack, streamReadings } from './nats-stack.js'

// The sensor simulator (one MQTT connection per machine, QoS 1) publishing into a three-node NATS
// cluster's MQTT listener, two detector processes sharing the partitions: the exact account of every
// reading, from the simulator's count through the stream and the detectors' counters to the DB.

const PARTITIONS = 4
const SIMULATOR_BIN = fileURLToPath(new URL('../../../../sensor-simulator/dist/src/bin/sensor-simulator.js', import.meta.url))

test('NATS cluster: the simulator\'s readings, each stored, scored exactly once by one of two detectors, and in the DB', { timeout: 90_000 }, async (t) => {
  const { cluster, vm, dir, modelPath, teardown } = await startNatsStack(t, PARTITIONS, 'rel-nats-sim-')
  const detectors: DetectorProcess[] = []
  for (const name of ['rel-nats-sim-a', 'rel-nats-sim-b']) {
    const d = await startDetectorProcess({ brokerUrl: cluster.nodes[0].mqttUrl, modelPath, influxUrl: vm.url, spoolDir: join(dir.dir, name), clientId: name, args: natsDetectorArgs(cluster, PARTITIONS) })
    teardown.push(async () => await d.stop())
    detectors.push(d)
  }

  const simulator = await startProcess(process.execPath, [SIMULATOR_BIN, '--broker-url', cluster.nodes[1].mqttUrl, '--machines', '8', '--rate', '5', '--duration', '8', '--seed', '3', '--log-format', 'json'],
    (out) => out.includes('simulator started'), { timeoutMs: 30_000 })
  teardown.push(async () => await simulator.stop())
  // --duration: it stops on its own, after a clean disconnect of every machine's session.
  if (simulator.process.exitCode === null) await new Promise((resolve) => simulator.process.once('exit', resolve))
  assert.equal(simulator.process.exitCode, 0, simulator.output())
  const finalLine = simulator.output().split('\n').find((l) => l.includes('final counts'))
  assert.ok(finalLine !== undefined, simulator.output())
  const counts = JSON.parse(finalLine) as { readings: number, lost: number, dropped: number, queued: number }
  assert.equal(counts.lost + counts.dropped + counts.queued, 0, `the simulator lost nothing: ${finalLine}`)
  assert.ok(counts.readings >= 8 * 5 * 5, `readings published: ${counts.readings}`)

  // Stored: every reading the simulator published, once per distinct machine and sequence number.
  const stored = await streamReadings(cluster.servers, counts.readings)
  const distinct = new Map(stored.map((r) => [`${r.machineId}|${r.seq}`, r]))
  assert.equal(distinct.size, counts.readings, `stream: ${stored.length} messages`)

  // Scored exactly once: the two detectors' scored readings (less replays) plus duplicates dropped make up every message.
  const metric = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
  let scored = 0
  let duplicates = 0
  await eventually(async () => {
    scored = 0
    duplicates = 0
    for (const d of detectors) {
      const text = await (await fetch(`${d.httpUrl}/metrics`)).text()
      scored += metric(text, 'edge_detector_scored_total') - metric(text, 'edge_detector_nats_replayed_total')
      duplicates += metric(text, 'edge_detector_duplicates_total')
    }
    return scored + duplicates >= stored.length
  }, 30_000, 'every stored message processed')
  assert.equal(scored, distinct.size, `scored once each (duplicates dropped: ${duplicates})`)
  assert.equal(scored + duplicates, stored.length)

  // In the DB: every stored reading, by machine and timestamp.
  let missing = distinct.size
  await eventually(async () => {
    const db = await dbAccount(vm.url)
    missing = [...distinct.values()].filter((r) => db.readings.get(r.machineId)?.has(r.ts) !== true).length
    return missing === 0
  }, 30_000, 'every reading in the DB').catch(() => {})
  assert.equal(missing, 0, 'readings missing from the DB')
})

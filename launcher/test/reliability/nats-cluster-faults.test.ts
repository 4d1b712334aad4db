import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { TEST_SPEC } from '@factory-edge/test-support/readings'
import { exportSeries } from '@factory-edge/test-support/victoria-metrics'
import { eventually } from '@factory-edge/test-support/wait'
import { missingFromDb, waitForDb } from './account.js'
import { createStreamAndFindLeader, machinePartitions, natsDetectorArgs, startNatsStack, streamReadings } from './nats-stack.js'
import { startDetectorProcess, type DetectorProcess } from './detector-process.js'
import { machineIds, publishReadings, readingPlan, recordAnomalies } from './traffic.js'

// Scenario: telemetry through a three-node NATS cluster (MQTT QoS 1 into the cluster's MQTT listener,
// an R3 stream partitioned by machine) to two detector processes sharing the partitions by leases. One
// NATS node (a replica, not the stream's leader) and one detector are SIGKILLed mid-stream; the surviving detector takes the dead one's
// partitions over within the lease TTL plus a renewal round, replaying the windows of its machines; both
// are restarted. The account: every published reading is stored in the stream, scored (its points are in
// VictoriaMetrics), and the anomaly events seen on MQTT are in the DB too; readings scored twice stay
// within what docs/scaling.md allows after a crash.

const PARTITIONS = 4
/**
 * Readings that may be scored (and written) twice, docs/scaling.md "What can be scored twice": the
 * killed detector's last flush, journalled but not acknowledged (a few ms of readings), and what a
 * detector cut off by the node's kill had received when its lease went to the other. At the 40
 * readings/s of this scenario, half a second of them.
 */
const MAY_SCORE_AGAIN = 20

test('NATS cluster: SIGKILL of a node and of a detector mid-stream, both restarted, every reading stored, scored and in the DB', {
  timeout: 120_000
}, async (t) => {
  const { cluster, vm, dir, modelPath, teardown } = await startNatsStack(t, PARTITIONS, 'rel-nats-')

  // The stream's leader takes the sensors' and the detectors' MQTT sessions, another node the dashboard's;
  // the third is killed (not the leader: nats-server 2.9.10 then loses acknowledged QoS 1 publishes).
  const entry = await createStreamAndFindLeader(cluster)
  const [dashboardNode, victim] = cluster.nodes.filter((n) => n !== entry)
  const detector = async (name: string): Promise<DetectorProcess> => {
    const d = await startDetectorProcess({
      brokerUrl: entry.mqttUrl,
      modelPath,
      influxUrl: vm.url,
      spoolDir: join(dir.dir, `spool-${name}`),
      clientId: name,
      args: natsDetectorArgs(cluster, PARTITIONS)
    })
    teardown.push(async () => await d.stop())
    return d
  }
  const a = await detector('rel-nats-a')
  const b = await detector('rel-nats-b')
  const partitionsOf = async (d: DetectorProcess): Promise<number> => Number(/^edge_detector_nats_partitions (\d+)$/m.exec(await (await fetch(`${d.httpUrl}/metrics`)).text())?.[1] ?? -1)
  await eventually(async () => await partitionsOf(a) === 2 && await partitionsOf(b) === 2, 20_000, 'two partitions each')
  const anomalies = await recordAnomalies(dashboardNode.mqttUrl, 'rel-nats-dashboard')
  teardown.push(anomalies.close)

  const plan = readingPlan(machineIds('press-', 10), 60)
  const publisher = publishReadings(entry.mqttUrl, plan, { clientId: 'rel-nats-sensors', ratePerSec: 40, resendFailed: true })
  teardown.push(async () => await publisher.client.endAsync(true))
  await eventually(() => publisher.acked >= plan.length / 4, 30_000, 'a quarter of the readings')
  // Every machine has published by now; asked while the cluster is whole (a request can time out during the failover).
  const partitionOf = await machinePartitions(cluster.servers)
  assert.equal(partitionOf.size, 10, 'every machine in a partition')
  await victim.kill()
  await eventually(() => publisher.acked >= plan.length / 2, 30_000, 'half of the readings, one node down')
  // A detector connected to the dead node may have lost leases meanwhile: the takeover is timed from a balanced state.
  await eventually(async () => await partitionsOf(a) === 2 && await partitionsOf(b) === 2, 20_000, 'two partitions each again').catch(async (err) => {
    const leases = (d: DetectorProcess): string => d.output().split('\n').filter((l) => /lease|partition/.test(l)).slice(-12).join('\n')
    throw new Error(`${(err as Error).message} (a: ${await partitionsOf(a)}, b: ${await partitionsOf(b)}); a logged:\n${leases(a)}\nb logged:\n${leases(b)}`)
  })
  // The partitions (and their machines) the survivor takes over: those b holds when killed.
  const partitionsHeldBy = async (d: DetectorProcess): Promise<number[]> => ((await (await fetch(`${d.httpUrl}/healthz`)).json()) as { nats: { partitions: number[] } }).nats.partitions
  const machinesIn = (partition: number): number => [...partitionOf.values()].filter((p) => p === partition).length
  const bPartitions = await partitionsHeldBy(b)
  const aLogFrom = a.output().length
  const bBeforeKill = await b.counters()
  const killedAt = Date.now()
  const ackedAtKill = publisher.acked
  await b.kill()
  await eventually(async () => await partitionsOf(a) === PARTITIONS, 15_000, 'the survivor takes every partition').catch((err) => {
    throw new Error(`${(err as Error).message}; the survivor logged:\n${a.output().split('\n').filter((l) => /lease|partition|NATS|nats/.test(l)).slice(-25).join('\n')}`)
  })
  const takeoverS = (Date.now() - killedAt) / 1000
  t.diagnostic(`takeover after the detector's SIGKILL: ${takeoverS.toFixed(1)} s`)
  assert.ok(takeoverS <= 10, `takeover within 10 s, took ${takeoverS} s`)
  // Windows rebuilt: what the survivor replayed per partition taken over (its start logs it), reported,
  // not asserted: after the node's kill moved a partition's consumer, nats-server 2.9.10 can report the
  // ack floor of that moment instead of the dead owner's last acknowledgement, and the replay then
  // stops there (docs/scaling.md, Known problems); the consumption's start can also take longer than the
  // lease, while the cluster is one node short.
  const starts = (d: DetectorProcess, from: number): Array<{ partition: number, ackFloor: number, replayed: number, machines: number }> => d.output().slice(from).split('\n')
    .filter((l) => l.includes('"consuming partition"')).map((l) => JSON.parse(l) as { partition: number, ackFloor: number, replayed: number })
    .map(({ partition, ackFloor, replayed }) => ({ partition, ackFloor, replayed, machines: machinesIn(partition) }))
  const reportReplays = async (d: DetectorProcess, from: number, partitions: number[], who: string, acked: number): Promise<void> => {
    await eventually(() => partitions.every((p) => starts(d, from).some((e) => e.partition === p)), 10_000, '').catch(() => {})
    const lines = d.output().slice(from).split('\n').filter((l) => /the replay received nothing|cannot replay|could not start consuming|consumption of a partition ended/.test(l)).length
    t.diagnostic(`${who}, partitions ${partitions.join(', ')} (replay: readings of the machines up to the ack floor, a stream sequence; window ${TEST_SPEC.window}; ${acked} readings acknowledged by the cluster then): ${JSON.stringify(starts(d, from))}; ${lines} replay or restart warnings`)
  }
  await reportReplays(a, aLogFrom, bPartitions, 'replayed by the survivor', ackedAtKill)
  await victim.restart()
  const bLogFrom = b.output().length
  const ackedAtRestart = publisher.acked
  await b.restart()
  await publisher.done
  assert.equal(publisher.failed, 0)
  t.diagnostic(`publishes the MQTT client failed and the sensors sent again: ${publisher.resent}`)

  // Stored: every published reading is in the stream (a few twice: publishes the sensors resent after a lost PUBACK).
  const stored = await streamReadings(cluster.servers, plan.length)
  const distinct = new Set(stored.map((r) => `${r.machineId}|${r.seq}`))
  assert.equal(distinct.size, plan.length, `every reading stored once or more (${stored.length} messages)`)
  t.diagnostic(`stream: ${stored.length} messages for ${plan.length} readings`)

  // Scored and in the DB: every reading's points, every event seen on MQTT.
  const db = await waitForDb(vm.url, plan.length, 40_000)
  // Every machine's anomalous stretch raised (its event point journalled with the reading). An event's
  // MQTT publish still in the killed detector's memory is lost (docs/scaling.md): MQTT's are a subset.
  const raisedIn = (events: Set<string>): Set<string> => new Set([...events].filter((e) => e.endsWith('|raised')).map((e) => e.split('|')[0]))
  t.diagnostic(`raises seen on MQTT: ${raisedIn(anomalies.events).size} of 10 machines`)
  const missing = missingFromDb(plan, db, anomalies.events)
  if (missing.readings > 0) {
    const gone = plan.filter((r) => db.readings.get(r.machineId)?.has(r.ts) !== true).map((r) => `${r.machineId}#${r.seq}`)
    t.diagnostic(`missing: ${gone.slice(0, 20).join(' ')}; a: ${JSON.stringify(await a.counters())}; b: ${JSON.stringify(await b.counters())}`)
    if (process.env.NATS_TEST_LOGS !== undefined) for (const [n, d] of [['a', a], ['b', b]] as const) t.diagnostic(`${n}:\n${d.output().split('\n').filter((l) => /partition|lease|NATS|nats|consum/.test(l)).map((l) => l.slice(0, 260)).join('\n')}`)
  }
  assert.equal(missing.readings, 0, 'readings missing from the DB')
  assert.equal(raisedIn(db.events).size, 10, `raises in the DB: ${[...db.events].join(' ')}`)
  assert.deepEqual(missing.events, [], 'anomaly events missing from the DB')
  assert.equal(db.readingCount, plan.length)
  // At least once: what the killed detector scored and journalled but had not acknowledged is scored
  // again by the new owner (same points, same timestamps); reported, not an error.
  const samples = (await exportSeries(vm.url, '{__name__="telemetry_rpm"}')).reduce((n, series) => n + series.timestamps.length, 0)
  t.diagnostic(`DB: ${plan.length} readings, ${samples - plan.length} written twice`)
  assert.ok(samples - plan.length <= MAY_SCORE_AGAIN, `readings scored and written twice: ${samples - plan.length}, at most ${MAY_SCORE_AGAIN}`)
  // The restarted detector got partitions back by the rebalance, and replayed them too.
  await reportReplays(b, bLogFrom, await partitionsHeldBy(b), 'replayed by the restarted detector', ackedAtRestart)
  const [aEnd, bEnd] = [await a.counters(), await b.counters()]
  // Live scorings (replays aside) and duplicates dropped, per process. The killed one's are as read just
  // before its kill, so the sum is a lower bound: what it scored in its last milliseconds is not counted.
  const live = (c: typeof aEnd): number => c.scored - c.natsReplayed
  t.diagnostic(`scored live: a ${live(aEnd)}, b before its kill ≥ ${live(bBeforeKill)}, b restarted ${live(bEnd)}; duplicates dropped: ${aEnd.duplicates} + ≥ ${bBeforeKill.duplicates} + ${bEnd.duplicates}; stream copies ${stored.length - plan.length}`)
  assert.ok(live(aEnd) + live(bBeforeKill) + live(bEnd) <= samples, 'every live scoring wrote its points')
})

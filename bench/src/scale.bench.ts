/**
 * Scaling out on a NATS JetStream cluster (issue 18), all on this machine (2 cores: every process,
 * the three nats-servers included, shares them, so the per-process CPU is reported beside the rates):
 * - scale.e2e_msgs_per_s_<n>_instances (n = 1, 2, 4): readings loaded into the R3 stream (4 partitions),
 *   then n detector processes with fixed partitions score and acknowledge them; the aggregate rate between
 *   10 % and 90 % of the readings acknowledged (start-up left out), with _per_instance, and the CPU cores
 *   used meanwhile by each detector (mean) and by the three nats-servers together;
 * - scale.e2e_msgs_per_s_mqtt_gateway: the single-gateway figure of the same detector, measured as
 *   detector.e2e_msgs_per_s is (factory-broker, QoS 1, one detector), for comparison;
 * - scale.broker_bytes_out_per_reading_nats_4_instances and _shard_4_instances: message bytes (payloads,
 *   as both servers count them: nats-server's connection out_bytes, Mosquitto's publish/bytes/sent) the
 *   broker sends to its clients per reading with 4 detectors, by NATS partitions (each reading to one
 *   instance) and by --shard k/4 on Mosquitto (each reading to all four), with _msgs_ the messages per
 *   reading; _nats_with_replication is nats-server's /varz out_bytes, routes included (R3: every reading
 *   also copied to two replicas, plus the Raft and ack traffic between the nodes);
 * - scale.takeover_s: two leased instances under a steady feed; one is SIGKILLed; seconds until every
 *   partition's durable consumer has acknowledged a reading published after the kill.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { connect } from 'nats'
import { startMosquitto } from '@factory-edge/test-support/mosquitto'
import { startNatsCluster, type NatsCluster } from '@factory-edge/test-support/nats'
import type { BenchContext } from './harness.js'
import { benchReadings, writeBenchModel } from './detector/fixtures.js'
import { counter, detectorThroughput, publisherArgs, runJson, startBrokerProcess, startDetectorProcess, stop, waitFor, type PublisherResult } from './detector/processes.js'
import { clientBytesOut, cpuSeconds, freshStream, loadReadings, steadyFeed, totalBytesOut } from './scale/nats-load.js'

const PARTITIONS = 4
const STREAM = 'SCALE'

function natsArgs (cluster: NatsCluster, extra: string[]): string[] {
  return ['--source', `nats://${cluster.servers.map((s) => s.replace('nats://', '')).join(',')}`, '--nats-stream', STREAM, '--nats-partitions', String(PARTITIONS), '--no-ui', ...extra]
}

/** Partitions of instance i of n (4 partitions: 1 → all, 2 → two each, 4 → one each). */
function ownedBy (i: number, n: number): string {
  return Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => p % n === i).join(',')
}

async function sumCounter (detectors: Array<{ http: string }>, name: string): Promise<number> {
  return (await Promise.all(detectors.map(async (d) => await counter(d.http, name)))).reduce((a, b) => a + b, 0)
}

async function benchInstances (ctx: BenchContext, cluster: NatsCluster, modelPath: string, dir: string): Promise<void> {
  const machines = 100
  const perMachine = ctx.quick ? 100 : 400
  const total = machines * perMachine
  const readings = benchReadings(machines, perMachine, Date.now() - 86_400_000)
  for (const n of [1, 2, 4]) {
    await freshStream(cluster.servers, STREAM)
    await loadReadings(cluster.servers, readings)
    const detectors: Array<{ child: ChildProcess, http: string }> = []
    try {
      for (let i = 0; i < n; i++) detectors.push(await startDetectorProcess(Number(new URL(cluster.nodes[i % 3].mqttUrl).port), modelPath, dir, natsArgs(cluster, ['--client-id', `bench-scale-${n}-${i}`, '--nats-partitions-owned', ownedBy(i, n)])))
      const sample = (): { at: number, detectorCpu: number[], natsCpu: number } => ({ at: Date.now(), detectorCpu: detectors.map((d) => cpuSeconds(d.child.pid)), natsCpu: cluster.nodes.reduce((s, node) => s + cpuSeconds(node.pid()), 0) })
      let from: ReturnType<typeof sample> | undefined
      let to: ReturnType<typeof sample> | undefined
      await waitFor(async () => {
        const acked = await sumCounter(detectors, 'edge_detector_nats_acked_total')
        if (from === undefined && acked >= total * 0.1) from = sample()
        if (to === undefined && acked >= total * 0.9) to = sample()
        return acked >= total
      }, 300_000, `${n} instances to acknowledge ${total} readings`)
      const scored = await sumCounter(detectors, 'edge_detector_scored_total')
      if (scored !== total) throw new Error(`${n} instances scored ${scored} of ${total}`)
      if (from === undefined || to === undefined) throw new Error('no samples')
      const seconds = (to.at - from.at) / 1000
      const rate = total * 0.8 / seconds
      ctx.report(`scale.e2e_msgs_per_s_${n}_instances`, rate, 'msg/s')
      ctx.report(`scale.e2e_msgs_per_s_${n}_instances_per_instance`, rate / n, 'msg/s')
      const detectorCores = to.detectorCpu.map((c, i) => (c - (from as { detectorCpu: number[] }).detectorCpu[i]) / seconds)
      ctx.report(`scale.cpu_cores_per_detector_${n}_instances`, detectorCores.reduce((a, b) => a + b, 0) / n, 'cores')
      ctx.report(`scale.cpu_cores_nats_servers_${n}_instances`, (to.natsCpu - from.natsCpu) / seconds, 'cores')
    } finally {
      for (const d of detectors) await stop(d.child)
    }
  }
}

async function benchGateway (ctx: BenchContext, modelPath: string, dir: string): Promise<void> {
  const broker = await startBrokerProcess()
  try {
    const machines = 100
    const perMachine = ctx.quick ? 100 : 400
    const publish = async (): Promise<PublisherResult> => await runJson<PublisherResult>(publisherArgs(broker.port, { machines, perMachine, rate: 0, observe: false, flipEvery: 0 }))
    const round = await detectorThroughput(broker.port, modelPath, dir, machines * perMachine, publish)
    ctx.report('scale.e2e_msgs_per_s_mqtt_gateway', round.msgsPerS, 'msg/s')
  } finally {
    await stop(broker.child)
  }
}

async function benchFanOut (ctx: BenchContext, cluster: NatsCluster, modelPath: string, dir: string): Promise<void> {
  const machines = 100
  const perMachine = ctx.quick ? 20 : 50
  const total = machines * perMachine
  const readings = benchReadings(machines, perMachine, Date.now() - 86_400_000)

  // NATS: four instances, one partition each; readings published straight into the cluster.
  await freshStream(cluster.servers, STREAM)
  const detectors: Array<{ child: ChildProcess, http: string }> = []
  try {
    for (let i = 0; i < 4; i++) detectors.push(await startDetectorProcess(Number(new URL(cluster.nodes[i % 3].mqttUrl).port), modelPath, dir, natsArgs(cluster, ['--client-id', `bench-fanout-${i}`, '--nats-partitions-owned', String(i)])))
    const clientBytes = async (): Promise<{ bytes: number, msgs: number }> => (await Promise.all(cluster.nodes.map(async (n) => await clientBytesOut(n.monitorUrl)))).reduce((a, b) => ({ bytes: a.bytes + b.bytes, msgs: a.msgs + b.msgs }), { bytes: 0, msgs: 0 })
    const clientBefore = await clientBytes()
    const totalBefore = (await Promise.all(cluster.nodes.map(async (n) => await totalBytesOut(n.monitorUrl)))).reduce((a, b) => a + b, 0)
    await loadReadings(cluster.servers, readings)
    await waitFor(async () => await sumCounter(detectors, 'edge_detector_nats_acked_total') >= total, 120_000, 'every reading acknowledged')
    const clientAfter = await clientBytes()
    const totalAfter = (await Promise.all(cluster.nodes.map(async (n) => await totalBytesOut(n.monitorUrl)))).reduce((a, b) => a + b, 0)
    ctx.report('scale.broker_bytes_out_per_reading_nats_4_instances', (clientAfter.bytes - clientBefore.bytes) / total, 'B')
    ctx.report('scale.broker_msgs_out_per_reading_nats_4_instances', (clientAfter.msgs - clientBefore.msgs) / total, 'msg')
    ctx.report('scale.broker_bytes_out_per_reading_nats_with_replication', (totalAfter - totalBefore) / total, 'B')
  } finally {
    for (const d of detectors) await stop(d.child)
  }

  // Mosquitto with --shard k/4: every shard subscribes to all telemetry.
  const mosquitto = await startMosquitto({ lines: ['sys_interval 1'] })
  const shards: Array<{ child: ChildProcess, http: string }> = []
  const sys = await mqtt.connectAsync(mosquitto.url, { clientId: 'bench-fanout-sys' })
  try {
    let sent = 0
    sys.on('message', (topic, p) => { if (topic.endsWith('bytes/sent')) sent = Number(p.toString()) })
    let messages = 0
    sys.on('message', (topic, p) => { if (topic.endsWith('messages/sent')) messages = Number(p.toString()) })
    await sys.subscribeAsync(['$SYS/broker/publish/bytes/sent', '$SYS/broker/publish/messages/sent'])
    for (let k = 1; k <= 4; k++) shards.push(await startDetectorProcess(mosquitto.port, modelPath, dir, ['--shard', `${k}/4`, '--client-id', `bench-shard-${k}`, '--no-ui']))
    await waitFor(async () => sent > 0, 10_000, '$SYS bytes sent')
    const before = sent
    const messagesBefore = messages
    await runJson<PublisherResult>(publisherArgs(mosquitto.port, { machines, perMachine, rate: 0, observe: false, flipEvery: 0 }))
    await waitFor(async () => await sumCounter(shards, 'edge_detector_scored_total') >= total, 120_000, 'every reading scored by its shard')
    // $SYS is published once a second: wait for a value that covers the whole stream.
    await new Promise((resolve) => setTimeout(resolve, 2500))
    ctx.report('scale.broker_bytes_out_per_reading_shard_4_instances', (sent - before) / total, 'B')
    ctx.report('scale.broker_msgs_out_per_reading_shard_4_instances', (messages - messagesBefore) / total, 'msg')
  } finally {
    await sys.endAsync()
    for (const s of shards) await stop(s.child)
    await mosquitto.stop()
    await mosquitto.cleanup()
  }
}

async function benchTakeover (ctx: BenchContext, cluster: NatsCluster, modelPath: string, dir: string): Promise<void> {
  await freshStream(cluster.servers, STREAM)
  const readings = benchReadings(40, 2000, Date.now() - 86_400_000)
  const start = async (name: string): Promise<{ child: ChildProcess, http: string }> => await startDetectorProcess(Number(new URL(cluster.nodes[0].mqttUrl).port), modelPath, dir, natsArgs(cluster, ['--client-id', name]))
  const a = await start('bench-takeover-a')
  const b = await start('bench-takeover-b')
  const nc = await connect({ servers: cluster.servers })
  const feed = await steadyFeed(cluster.servers, readings, 400)
  try {
    await waitFor(async () => await counter(a.http, 'edge_detector_nats_partitions') === 2 && await counter(b.http, 'edge_detector_nats_partitions') === 2, 30_000, 'two partitions each')
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const jsm = await nc.jetstreamManager()
    b.child.kill('SIGKILL')
    const killedAt = Date.now()
    const lastAtKill = (await jsm.streams.info(STREAM)).state.last_seq
    await waitFor(async () => {
      for (let p = 0; p < PARTITIONS; p++) {
        const info = await jsm.consumers.info(STREAM, `edge-detector-p${p}`)
        if (info.ack_floor.stream_seq <= lastAtKill) return false
      }
      return true
    }, 60_000, 'every partition acknowledged again after the kill')
    ctx.report('scale.takeover_s', (Date.now() - killedAt) / 1000, 's')
  } finally {
    await feed.stop()
    await nc.close()
    await stop(a.child)
    await stop(b.child)
  }
}

export default async function (ctx: BenchContext): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'scale-bench-'))
  const cluster = await startNatsCluster({ partitions: PARTITIONS })
  try {
    const modelPath = join(dir, 'model.json')
    await writeBenchModel(modelPath)
    const parts = (process.env.SCALE_BENCH_PARTS ?? 'instances,gateway,fanout,takeover').split(',')
    if (parts.includes('instances')) await benchInstances(ctx, cluster, modelPath, dir)
    if (parts.includes('gateway')) await benchGateway(ctx, modelPath, dir)
    if (parts.includes('fanout')) await benchFanOut(ctx, cluster, modelPath, dir)
    if (parts.includes('takeover')) await benchTakeover(ctx, cluster, modelPath, dir)
  } finally {
    await cluster.stop()
    await cluster.cleanup()
    await rm(dir, { recursive: true, force: true })
  }
}

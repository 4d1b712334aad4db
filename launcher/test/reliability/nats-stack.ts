import { join } from 'node:path'
import { connect } from 'nats'
import { mqttTopicOfPartitionedSubject, natsTelemetrySubjects, type Telemetry } from '@factory-edge/shared/contract'
import { startNatsCluster, type NatsCluster, type NatsNode } from '@factory-edge/test-support/nats'
import { writeTestModel } from '@factory-edge/test-support/readings'
import type { ExternalServer } from '@factory-edge/test-support/server-process'
import { tempDir, type TempDir } from '@factory-edge/test-support/temp-dir'
import { startVictoriaMetrics } from '@factory-edge/test-support/victoria-metrics'
import { eventually } from '@factory-edge/test-support/wait'

// What the NATS scenarios share: the detector's flags for the test cluster, and the stream's content.

export const STREAM = 'TELEMETRY'

/** A scenario's parts; `teardown` steps run in reverse after the test (detectors before the cluster they use). */
export interface NatsStack {
  cluster: NatsCluster
  vm: ExternalServer
  dir: TempDir
  modelPath: string
  teardown: Array<() => Promise<unknown>>
}

/** A three-node cluster with `partitions` partitions, VictoriaMetrics and a test model in a temp dir. */
export async function startNatsStack (t: { after: (fn: () => Promise<void>) => void }, partitions: number, name: string): Promise<NatsStack> {
  const teardown: Array<() => Promise<unknown>> = []
  t.after(async () => { for (const step of teardown.reverse()) await step().catch(() => {}) })
  const cluster = await startNatsCluster({ partitions })
  teardown.push(async () => { await cluster.stop(); await cluster.cleanup() })
  const vm = await startVictoriaMetrics()
  teardown.push(async () => { await vm.stop(); await vm.cleanup() })
  const dir = await tempDir(name)
  teardown.push(dir.cleanup)
  const modelPath = join(dir.dir, 'model.json')
  await writeTestModel(modelPath)
  return { cluster, vm, dir, modelPath, teardown }
}

/** `edge-detector run` flags for the test cluster: leased partitions, a short lease and ack wait. */
export function natsDetectorArgs (cluster: NatsCluster, partitions: number): string[] {
  return ['--source', `nats://${cluster.servers.map((s) => s.replace('nats://', '')).join(',')}`, '--nats-stream', STREAM, '--nats-partitions', String(partitions),
    '--nats-replicas', '3', '--nats-lease-ttl-ms', '3000', '--nats-ack-wait-ms', '5000', '--alert-cooldown-ms', '0']
}

/** Every telemetry message in the stream (once it holds `atLeast`, or after 10 s), decoded (read one by one: a few hundred direct gets). */
export async function streamReadings (servers: string[], atLeast = 0, login: { user?: string, pass?: string } = {}): Promise<Telemetry[]> {
  const nc = await connect({ servers, ...login })
  try {
    const jsm = await nc.jetstreamManager()
    // The stream's count can trail the last PUBACK for a moment (docs/scaling.md): wait for `atLeast`,
    // then take what is there (the caller's account says what is missing).
    await eventually(async () => (await jsm.streams.info(STREAM)).state.messages >= atLeast, 10_000, `${atLeast} messages in the stream`).catch(() => {})
    const state = (await jsm.streams.info(STREAM)).state
    const out: Telemetry[] = []
    if (state.messages === 0) return out
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) out.push((await jsm.streams.getMessage(STREAM, { seq })).json<Telemetry>())
    return out
  } finally {
    await nc.close()
  }
}

/** Each machine's partition, as the servers' mapping put its readings in the stream so far. */
export async function machinePartitions (servers: string[]): Promise<Map<string, number>> {
  const nc = await connect({ servers })
  try {
    const info = await (await nc.jetstreamManager()).streams.info(STREAM, { subjects_filter: '>' })
    return new Map(Object.keys(info.state.subjects ?? {}).map((s) => [mqttTopicOfPartitionedSubject(s).split('/')[1], Number(s.split('.')[1])]))
  } finally {
    await nc.close()
  }
}

/**
 * Creates the telemetry stream as the detector would (R3) and returns the node leading it. Killing the
 * leader of nats-server 2.9.10 loses acknowledged MQTT QoS 1 publishes (docs/scaling.md), so the
 * scenarios kill another node.
 */
export async function createStreamAndFindLeader (cluster: NatsCluster, login: { user?: string, pass?: string } = {}): Promise<NatsNode> {
  const nc = await connect({ servers: cluster.servers, ...login })
  try {
    const jsm = await nc.jetstreamManager()
    await jsm.streams.add({ name: STREAM, subjects: [natsTelemetrySubjects()], num_replicas: 3 })
    const leader = (await jsm.streams.info(STREAM)).cluster?.leader
    const node = cluster.nodes.find((n) => n.name === leader)
    if (node === undefined) throw new Error(`no leader among the nodes: ${String(leader)}`)
    return node
  } finally {
    await nc.close()
  }
}

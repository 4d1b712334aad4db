import { connect } from 'nats'
import type { Telemetry } from '@factory-edge/shared/contract'
import type { NatsCluster } from '@factory-edge/test-support/nats'

// What the NATS scenarios share: the detector's flags for the test cluster, and the stream's content.

export const STREAM = 'TELEMETRY'

/** `edge-detector run` flags for the test cluster: leased partitions, a short lease and ack wait. */
export function natsDetectorArgs (cluster: NatsCluster, partitions: number): string[] {
  return ['--source', `nats://${cluster.servers.map((s) => s.replace('nats://', '')).join(',')}`, '--nats-stream', STREAM, '--nats-partitions', String(partitions),
    '--nats-replicas', '3', '--nats-lease-ttl-ms', '3000', '--nats-ack-wait-ms', '5000', '--alert-cooldown-ms', '0']
}

/** Every telemetry message in the stream, decoded (read one by one: a few hundred direct gets). */
export async function streamReadings (servers: string[]): Promise<Telemetry[]> {
  const nc = await connect({ servers })
  try {
    const jsm = await nc.jetstreamManager()
    const state = (await jsm.streams.info(STREAM)).state
    const out: Telemetry[] = []
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) out.push((await jsm.streams.getMessage(STREAM, { seq })).json<Telemetry>())
    return out
  } finally {
    await nc.close()
  }
}

import { ConfigError } from '@factory-edge/shared/runtime'

/** Where and how the detector reads telemetry from NATS JetStream (`--source nats://...`). */
export interface NatsSourceOptions {
  /** Client URLs of the cluster's nodes; the client fails over between them. */
  servers: string[]
  user?: string
  password?: string
  /** The telemetry stream (created with `replicas` if missing). */
  stream: string
  /** Partitions of the servers' subject mapping; must equal its `partition(n, ...)`. */
  partitions: number
  /** Partitions this instance always consumes, without leases; undefined: leased, shared with the other instances. */
  owned?: number[]
  replicas: number
  leaseTtlMs: number
  replayMs: number
  ackWaitMs: number
}

/** `nats://a:4222,b:4222` (or `nats://a:4222,nats://b:4222`) → one URL per node. */
export function natsServers (source: string): string[] {
  const hosts = source.replace(/^nats:\/\//, '').split(',').map((h) => h.trim().replace(/^nats:\/\//, '')).filter((h) => h !== '')
  if (hosts.length === 0) throw new ConfigError(`--source ${JSON.stringify(source)}: no NATS server after nats://`)
  return hosts.map((h) => `nats://${h}`)
}

/** `0,2` → [0, 2], each below `partitions`, no repeats. */
export function ownedPartitions (text: string, partitions: number): number[] {
  const list = text.split(',').map((p) => Number(p.trim()))
  for (const p of list) {
    if (!Number.isInteger(p) || p < 0 || p >= partitions) throw new ConfigError(`--nats-partitions-owned ${JSON.stringify(text)}: each partition must be an integer from 0 to ${partitions - 1} (--nats-partitions ${partitions})`)
  }
  if (new Set(list).size !== list.length) throw new ConfigError(`--nats-partitions-owned ${JSON.stringify(text)} names a partition twice`)
  return list
}

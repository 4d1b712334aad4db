// What the scale benchmarks do with the NATS cluster: load readings into the partitioned stream,
// read nats-server's monitoring counters, and CPU time of processes.
import { readFileSync } from 'node:fs'
import { connect, RetentionPolicy, StorageType } from 'nats'
import type { Telemetry } from '@factory-edge/shared/contract'
import { machineTopic, natsTelemetrySubjects } from '@factory-edge/shared/contract'

/** A fresh R3 telemetry stream: deleted if present (with its durable consumers), created as the detector would. */
export async function freshStream (servers: string[], name: string): Promise<void> {
  const nc = await connect({ servers })
  try {
    const jsm = await nc.jetstreamManager()
    await jsm.streams.delete(name).catch(() => false)
    await jsm.streams.add({ name, subjects: [natsTelemetrySubjects()], num_replicas: 3, storage: StorageType.File, retention: RetentionPolicy.Limits })
  } finally {
    await nc.close()
  }
}

/**
 * Publishes readings on their MQTT-equivalent subjects (the servers' mapping partitions them), with
 * JetStream acknowledgements, `window` at a time; resolves once the stream acknowledged them all.
 */
export async function loadReadings (servers: string[], readings: readonly Telemetry[], window = 1000): Promise<void> {
  const nc = await connect({ servers })
  try {
    const js = nc.jetstream()
    let inFlight: Array<Promise<unknown>> = []
    for (const r of readings) {
      inFlight.push(js.publish(machineTopic('telemetry', r.machineId).replaceAll('/', '.'), JSON.stringify(r)))
      if (inFlight.length >= window) {
        await Promise.all(inFlight)
        inFlight = []
      }
    }
    await Promise.all(inFlight)
  } finally {
    await nc.close()
  }
}

/** Publishes readings without acknowledgements, `perSecond` a second, until `stop` is called; returns the count so far. */
export async function steadyFeed (servers: string[], readings: readonly Telemetry[], perSecond: number): Promise<{ stop: () => Promise<number> }> {
  const nc = await connect({ servers })
  let sent = 0
  const timer = setInterval(() => {
    for (let i = 0; i < perSecond / 10 && sent < readings.length; i++, sent++) {
      const r = readings[sent]
      nc.publish(machineTopic('telemetry', r.machineId).replaceAll('/', '.'), JSON.stringify(r))
    }
  }, 100)
  return {
    stop: async () => {
      clearInterval(timer)
      await nc.flush()
      await nc.close()
      return sent
    }
  }
}

/**
 * Message bytes (payloads) and messages a nats-server sent to its open client connections (not to its
 * routes), from /connz; the detectors' connections stay open across the measurement.
 */
export async function clientBytesOut (monitorUrl: string): Promise<{ bytes: number, msgs: number }> {
  const connz = await (await fetch(`${monitorUrl}/connz?limit=1024`)).json() as { connections?: Array<{ out_bytes: number, out_msgs: number }> }
  return (connz.connections ?? []).reduce((n, c) => ({ bytes: n.bytes + c.out_bytes, msgs: n.msgs + c.out_msgs }), { bytes: 0, msgs: 0 })
}

/** Bytes a nats-server sent in all, routes (replication) included, from /varz. */
export async function totalBytesOut (monitorUrl: string): Promise<number> {
  return ((await (await fetch(`${monitorUrl}/varz`)).json()) as { out_bytes: number }).out_bytes
}

/** CPU seconds (user + system) a process used so far, from /proc; 0 once it has exited. */
export function cpuSeconds (pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

import { connect, type JetStreamManager, type KV, type NatsConnection } from 'nats'
import { DETECTOR_DEFAULTS } from '../defaults.js'
import { PartitionLeases } from './nats-leases.js'
import type { NatsSourceOptions } from './nats-options.js'
import { PartitionConsumer, type ReadingHandlers } from './nats-partition-consumer.js'
import { ensureTelemetryStream, isUnavailable } from './nats-stream.js'

export interface NatsSourceDeps extends ReadingHandlers {
  /** This instance's name (its lease value): the detector's client id. */
  instance: string
}

/** The NATS side's state, for /healthz and /metrics. */
export interface NatsSourceState {
  connected: boolean
  /** Why the last connection attempt failed, e.g. `Authorization Violation`; cleared once connected. */
  lastError?: string
  /** Connection attempts that failed in a row (before the first connection). */
  failedAttempts: number
  /** When the next connection attempt is due (ISO 8601), while waiting for it. */
  nextRetryAt?: string
  partitions: number[]
  acked: number
  replayed: number
  takeovers: number
}

/**
 * Telemetry from a JetStream stream instead of an MQTT subscription: the partitions this instance owns
 * (fixed, or leased in a KV bucket and shared with the other instances), each a durable consumer whose
 * readings go through the same pipeline entry point as MQTT messages.
 */
export class NatsSource {
  private nc: NatsConnection | undefined
  private jsm: JetStreamManager | undefined
  private leases: PartitionLeases | undefined
  private readonly consumers = new Map<number, { consumer: PartitionConsumer, started: Promise<void> }>()
  private readonly done = { acked: 0, replayed: 0, takeovers: 0 }
  private isConnected = false
  private closing = false
  private readonly link: { lastError?: string, failedAttempts: number, nextRetryAt?: number } = { failedAttempts: 0 }
  /** Ends the wait before the next connection attempt when the source is closed meanwhile. */
  private wakeRetry: (() => void) | undefined

  constructor (private readonly o: NatsSourceOptions, private readonly deps: NatsSourceDeps) {}

  get state (): NatsSourceState {
    let acked = this.done.acked
    let replayed = this.done.replayed
    for (const { consumer } of this.consumers.values()) {
      acked += consumer.counters.acked
      replayed += consumer.counters.replayed
    }
    const link = this.link
    return {
      connected: this.isConnected,
      ...link.lastError !== undefined ? { lastError: link.lastError } : {},
      failedAttempts: link.failedAttempts,
      ...link.nextRetryAt !== undefined ? { nextRetryAt: new Date(link.nextRetryAt).toISOString() } : {},
      partitions: [...this.consumers.keys()].sort((a, b) => a - b),
      acked,
      replayed,
      takeovers: this.done.takeovers
    }
  }

  /** Connects (waiting for a server if none is up), makes sure the stream exists and starts the owned partitions. */
  async start (): Promise<void> {
    const o = this.o
    const d = this.deps
    const nc = await this.connect()
    if (nc === undefined) return
    this.nc = nc
    this.isConnected = true
    void this.watchStatus(nc)
    const jsm = this.jsm = await this.retrying('reach JetStream', async () => await nc.jetstreamManager())
    await this.retrying('check the telemetry stream', async () => await ensureTelemetryStream(jsm, o.stream, o.replicas, d.topicPrefix, d.logger))
    if (o.owned !== undefined) {
      for (const p of o.owned) this.startPartition(p)
      await Promise.all([...this.consumers.values()].map(async (c) => await c.started))
    } else {
      const kv: KV = await this.retrying('open the lease bucket', async () => await nc.jetstream().views.kv(DETECTOR_DEFAULTS.nats.leaseBucket, { ttl: o.leaseTtlMs, history: 1, replicas: o.replicas, timeout: Math.max(1000, Math.floor(o.leaseTtlMs / 3)) }))
      this.leases = new PartitionLeases({
        kv,
        bucket: DETECTOR_DEFAULTS.nats.leaseBucket,
        jsm,
        instance: d.instance,
        partitions: o.partitions,
        ttlMs: o.leaseTtlMs,
        acquired: (p) => this.startPartition(p),
        released: async (p) => await this.stopPartition(p),
        logger: d.logger
      })
      await this.leases.start()
    }
    d.logger.info({ servers: o.servers, stream: o.stream, partitions: this.state.partitions, leased: o.owned === undefined }, 'connected and subscribed')
  }

  /**
   * Connects, waiting for a server while none answers. A refused login (a wrong user or password, which
   * nats.js gives up on) is tried again like the MQTT session's: logged at error level with its cause and
   * the wait before the next attempt, which doubles, and shown on /healthz, so that a detector whose
   * password is fixed on the servers later connects without a restart. Undefined: closed meanwhile.
   */
  private async connect (): Promise<NatsConnection | undefined> {
    const o = this.o
    const link = this.link
    let waitMs: number = DETECTOR_DEFAULTS.mqtt.reconnectMinMs
    while (!this.closing) {
      try {
        const nc = await connect({
          servers: o.servers,
          user: o.user,
          pass: o.password,
          name: this.deps.instance,
          waitOnFirstConnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: DETECTOR_DEFAULTS.nats.reconnectWaitMs
        })
        if (this.closing) {
          await nc.close()
          return undefined
        }
        link.lastError = undefined
        link.failedAttempts = 0
        return nc
      } catch (err) {
        if (this.closing) return undefined
        link.failedAttempts++
        link.lastError = (err as Error).message
        link.nextRetryAt = Date.now() + waitMs
        this.deps.logger.error({ servers: o.servers, user: o.user, cause: link.lastError, failedAttempts: link.failedAttempts, retryInMs: waitMs },
          `cannot connect to NATS (${link.lastError}); next attempt in ${(waitMs / 1000).toFixed(1)} s`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs)
          this.wakeRetry = () => { clearTimeout(timer); resolve() }
        })
        link.nextRetryAt = undefined
        waitMs = Math.min(waitMs * 2, DETECTOR_DEFAULTS.mqtt.reconnectMaxMs)
      }
    }
    return undefined
  }

  /**
   * Runs a JetStream request again every second while the cluster cannot answer it (a timeout or no
   * responders: a node restarting, a leader being elected), as the connection itself waits for a server.
   */
  private async retrying<T> (what: string, request: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await request()
      } catch (err) {
        if (!isUnavailable(err) || this.closing) throw err
        this.deps.logger.warn({ error: (err as Error).message }, `could not ${what}; trying again`)
        await new Promise((resolve) => setTimeout(resolve, DETECTOR_DEFAULTS.nats.reconnectWaitMs))
      }
    }
  }

  private startPartition (p: number): void {
    const o = this.o
    const d = this.deps
    const D = DETECTOR_DEFAULTS.nats
    const nc = this.nc as NatsConnection
    const consumer = new PartitionConsumer({
      jsm: this.jsm as JetStreamManager,
      js: nc.jetstream(),
      stream: o.stream,
      partition: p,
      ackWaitMs: o.ackWaitMs,
      maxAckPending: D.maxAckPending,
      batch: D.batch,
      replayMs: o.replayMs,
      pullExpiresMs: D.pullExpiresMs,
      replayIdleMs: D.replayIdleMs,
      ...handlersOf(d)
    })
    const started = consumer.run()
    this.consumers.set(p, { consumer, started })
    this.done.takeovers++
  }

  private async stopPartition (p: number): Promise<void> {
    const entry = this.consumers.get(p)
    if (entry === undefined) return
    this.consumers.delete(p)
    // Stopped first: a start still retrying (a node failing over) must end, not be waited for.
    await entry.consumer.stop()
    await entry.started
    await entry.consumer.stop()
    this.done.acked += entry.consumer.counters.acked
    this.done.replayed += entry.consumer.counters.replayed
  }

  private async watchStatus (nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.isConnected = false
        this.deps.logger.warn({ server: s.data }, 'lost a NATS server; reconnecting to another')
      } else if (s.type === 'reconnect') {
        this.isConnected = true
        this.deps.logger.info({ server: s.data }, 'reconnected to NATS')
      }
    }
  }

  /** Stops the consumers (committing and acknowledging what they received), gives the leases back, disconnects. */
  async close (): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.wakeRetry?.()
    if (this.leases !== undefined) await this.leases.close()
    for (const p of [...this.consumers.keys()]) await this.stopPartition(p)
    await this.nc?.drain().catch(() => {})
    this.isConnected = false
  }
}

function handlersOf (d: ReadingHandlers): ReadingHandlers {
  return { process: d.process, replay: d.replay, commit: d.commit, topicPrefix: d.topicPrefix, logger: d.logger }
}

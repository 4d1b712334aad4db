import { AckPolicy, DeliverPolicy, nanos, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats'
import { mqttTopicOfPartitionedSubject, natsPartitionSubjects } from '@factory-edge/shared/contract'
import type { Logger } from '@factory-edge/shared/runtime'
import type { Outcome } from '../pipeline/pipeline.js'
import { isNotFound } from './nats-stream.js'

/** Where the readings of a partition go. */
export interface ReadingHandlers {
  /** Scores one reading (the pipeline's entry point, as the MQTT input calls it). */
  process: (topic: string, payload: Uint8Array) => Outcome
  /** The same, with the pipeline's outputs closed (a replayed reading was already published and stored). */
  replay: (topic: string, payload: Uint8Array) => Outcome
  /** Makes the points of the readings processed so far durable (the InfluxDB journal), before their acks. */
  commit: () => void
  topicPrefix: string
  logger: Logger
}

export interface PartitionConsumerOptions extends ReadingHandlers {
  jsm: JetStreamManager
  js: JetStreamClient
  stream: string
  partition: number
  ackWaitMs: number
  maxAckPending: number
  batch: number
  replayMs: number
  /** How long one pull request waits on the server (nats.js `expires`, at least 1000 ms). */
  pullExpiresMs: number
  /** A replay that receives nothing for this long ends (the windows keep what it replayed). */
  replayIdleMs: number
}

/** What one partition consumer did, for /metrics. */
export interface PartitionCounters {
  acked: number
  replayed: number
}

const RETRY_MS = 1000

/** The durable consumer of partition p: one per partition, shared by whichever instance holds its lease. */
export function durableName (partition: number): string {
  return `edge-detector-p${partition}`
}

/**
 * One partition, consumed by this instance from the partition's durable consumer, which outlives its
 * owners: a new owner never deletes it, so the position and the ack floor stay the server's, whatever
 * happens to the owners in between (an owner killed in the middle of a takeover leaves the consumer as it
 * was). On start, the readings of the last `replayMs` up to the consumer's ack floor are replayed
 * (outputs closed) to rebuild the machines' windows and alert state; then the consumer delivers what comes
 * after, and what the previous owner received but never acknowledged comes again after the ack wait.
 * Readings are acknowledged only after `commit` (their InfluxDB points journalled): a crash redelivers
 * them, never loses them.
 */
export class PartitionConsumer {
  readonly counters: PartitionCounters = { acked: 0, replayed: 0 }
  private messages: ConsumerMessages | undefined
  private replaying: ConsumerMessages | undefined
  private pending: JsMsg[] = []
  private flushScheduled = false
  private stopped = false
  private replayed = false

  constructor (private readonly o: PartitionConsumerOptions) {}

  get partition (): number {
    return this.o.partition
  }

  /**
   * Consumes until {@link stop}: a start that fails (a node failing over) is tried again every second, and
   * a consumption that ends by itself (the consumer lost with its node, "no responders" during a leader
   * election) is started again, so a partition whose lease this instance holds is never left idle.
   * Resolves once consuming (or stopped); the loop goes on in the background.
   */
  async run (): Promise<void> {
    await new Promise<void>((resolve) => { void this.keepConsuming(resolve) })
  }

  private async keepConsuming (started: () => void): Promise<void> {
    const o = this.o
    while (!this.stopped) {
      try {
        await this.start()
        started()
        const ended = await this.messages?.closed()
        if (this.stopped) break
        o.logger.warn({ partition: o.partition, error: ended instanceof Error ? ended.message : undefined }, 'the consumption of a partition ended; consuming again')
      } catch (err) {
        if (this.stopped) break
        o.logger.warn({ partition: o.partition, error: (err as Error).message }, 'could not start consuming a partition; trying again')
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
    }
    started()
  }

  private async start (): Promise<void> {
    const o = this.o
    const name = durableName(o.partition)
    const ackFloor = await this.ackFloorOrCreate(name)
    if (ackFloor > 0 && !this.replayed) await this.replayUpTo(ackFloor)
    this.replayed = true
    if (this.stopped) return
    const consumer = await o.js.consumers.get(o.stream, name)
    if (this.stopped) return
    // A short pull expiry: nats.js waits one expiry between its checks of a consumer that stopped
    // answering (its leader lost with a node) and sends heartbeats every half expiry, so a pull lost in
    // a failover is noticed and sent again within seconds, not after the 30 s default.
    this.messages = await consumer.consume({ max_messages: o.batch, expires: o.pullExpiresMs, abort_on_missing_resource: true, callback: (m) => this.receive(m) })
    if (this.stopped) this.messages.stop()
    o.logger.info({ partition: o.partition, ackFloor, replayed: this.counters.replayed }, 'consuming partition')
  }

  /**
   * The ack floor of the partition's durable consumer: every reading of the partition up to it was scored
   * and stored. A consumer that does not exist yet (the first start, or one an operator deleted) is
   * created to deliver the whole stream; its floor is 0.
   */
  private async ackFloorOrCreate (name: string): Promise<number> {
    const o = this.o
    let info
    try {
      info = await o.jsm.consumers.info(o.stream, name)
    } catch (err) {
      if (!isNotFound(err)) throw err
      await this.addConsumer(name)
      return 0
    }
    if (info.config.ack_wait !== nanos(o.ackWaitMs) || info.config.max_ack_pending !== o.maxAckPending) await this.updateConsumer(name)
    // nats-server 2.9.10 reports a floor of 0 for a consumer that has acknowledged nothing since it
    // was made or moved to another leader; when everything delivered was acknowledged, the last
    // delivered sequence is the floor (sequences in between belong to other partitions).
    const { delivered, ack_floor: floor } = info
    return floor.consumer_seq === delivered.consumer_seq && info.num_ack_pending === 0 ? Math.max(floor.stream_seq, delivered.stream_seq) : floor.stream_seq
  }

  /** Applies a changed `--nats-ack-wait-ms` (or pending limit) to the consumer kept from an earlier configuration. */
  private async updateConsumer (name: string): Promise<void> {
    const o = this.o
    try {
      await o.jsm.consumers.update(o.stream, name, { ack_wait: nanos(o.ackWaitMs), max_ack_pending: o.maxAckPending })
    } catch (err) {
      o.logger.warn({ partition: o.partition, error: (err as Error).message }, 'could not update the partition\'s consumer to the configured ack wait; consuming with its own')
    }
  }

  /** Creates the durable consumer, delivering the whole partition; one made meanwhile by another instance (or by an attempt whose reply was lost) is used as it is. */
  private async addConsumer (name: string): Promise<void> {
    const o = this.o
    try {
      await o.jsm.consumers.add(o.stream, {
        durable_name: name,
        filter_subject: natsPartitionSubjects(o.partition, o.topicPrefix),
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(o.ackWaitMs),
        max_ack_pending: o.maxAckPending,
        deliver_policy: DeliverPolicy.All
      })
      o.logger.info({ partition: o.partition }, 'created the partition\'s durable consumer')
    } catch (err) {
      const code = (err as { api_error?: { err_code?: number } }).api_error?.err_code
      // 10013: a consumer of that name exists with another configuration; 10148: the name is in use.
      if (code !== 10013 && code !== 10148) throw err
      o.logger.warn({ partition: o.partition, error: (err as Error).message }, 'the partition\'s consumer exists already; consuming from it')
    }
  }

  /** Replays the partition from `replayMs` before the ack floor's reading up to it, outputs closed. */
  private async replayUpTo (ackFloor: number): Promise<void> {
    const o = this.o
    let floorTime: Date
    try {
      floorTime = (await o.jsm.streams.getMessage(o.stream, { seq: ackFloor })).time
    } catch (err) {
      // The stream's limits removed it: the windows start over (logged, as after a long gap).
      o.logger.warn({ partition: o.partition, ackFloor, error: (err as Error).message }, 'cannot replay: the last acknowledged reading is no longer in the stream; windows start empty')
      return
    }
    const replayer = await o.js.consumers.get(o.stream, {
      filterSubjects: natsPartitionSubjects(o.partition, o.topicPrefix),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(floorTime.getTime() - o.replayMs).toISOString()
    })
    const messages = this.replaying = await replayer.consume({ max_messages: o.batch, expires: o.pullExpiresMs })
    // The replay only rebuilds windows (the durable consumer's position does not depend on it): one that
    // stalls (the partition has nothing more before the floor, or a node fails over) ends rather than
    // keeping the partition, and a lease hand-over waiting for it, from going on.
    let stalled = false
    // One timer for the whole replay, pushed back at every reading (no new timer per reading).
    const idle = setTimeout(() => { stalled = true; messages.stop() }, o.replayIdleMs)
    try {
      if (this.stopped) return
      for await (const m of messages) {
        if (this.stopped || m.seq > ackFloor) break
        o.replay(mqttTopicOfPartitionedSubject(m.subject), m.data)
        this.counters.replayed++
        // The floor may be another partition's sequence: the partition's last reading before it ends the replay too.
        if (m.seq === ackFloor || m.info.pending === 0) break
        idle.refresh()
      }
    } finally {
      clearTimeout(idle)
      this.replaying = undefined
      messages.stop()
    }
    if (stalled) o.logger.warn({ partition: o.partition, ackFloor, replayed: this.counters.replayed }, 'the replay received nothing for a while; consuming with the windows replayed so far')
  }

  private receive (m: JsMsg): void {
    if (this.stopped) return
    this.o.process(mqttTopicOfPartitionedSubject(m.subject), m.data)
    this.pending.push(m)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      // After the messages already received (delivered synchronously, one after the other): one journal write for all of them.
      setImmediate(() => this.flush())
    }
  }

  private flush (): void {
    this.flushScheduled = false
    if (this.pending.length === 0) return
    try {
      this.o.commit()
    } catch (err) {
      // A full or broken disk must not stop the stream: the points stay in memory, as without a journal.
      this.o.logger.warn({ error: (err as Error).message }, 'could not journal InfluxDB points')
    }
    for (const m of this.pending) m.ack()
    this.counters.acked += this.pending.length
    this.pending = []
  }

  /** Stops receiving; what was received is committed and acknowledged. */
  async stop (): Promise<void> {
    this.stopped = true
    this.replaying?.stop()
    this.messages?.stop()
    this.flush()
    await this.messages?.closed().catch(() => {})
  }
}

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
}

/** What one partition consumer did, for /metrics. */
export interface PartitionCounters {
  acked: number
  replayed: number
}

/** The durable consumer of partition p: one per partition, shared by whichever instance holds its lease. */
export function durableName (partition: number): string {
  return `edge-detector-p${partition}`
}

/**
 * One partition, consumed by this instance: on start, the readings of the last `replayMs` before the
 * consumer's ack floor are replayed (outputs closed) to rebuild the machines' windows and alert state;
 * then the durable consumer is started again at the ack floor, so that what the previous owner received
 * but never acknowledged comes at once instead of after its ack wait. Readings are acknowledged only
 * after `commit` (their InfluxDB points journalled): a crash redelivers them, never loses them.
 */
export class PartitionConsumer {
  readonly counters: PartitionCounters = { acked: 0, replayed: 0 }
  private messages: ConsumerMessages | undefined
  private pending: JsMsg[] = []
  private flushScheduled = false
  private stopped = false
  /** Found once: a start retried after a failure must not look again (the consumer may be deleted by then). */
  private ackFloor: number | undefined
  private replayed = false

  constructor (private readonly o: PartitionConsumerOptions) {}

  get partition (): number {
    return this.o.partition
  }

  async start (): Promise<void> {
    const o = this.o
    const name = durableName(o.partition)
    const ackFloor = this.ackFloor ??= await this.takeOverConsumer(name)
    if (ackFloor > 0 && !this.replayed) {
      await this.replayUpTo(ackFloor)
      this.replayed = true
    }
    if (this.stopped) return
    await this.addConsumer(name, ackFloor)
    if (this.stopped) return
    const consumer = await o.js.consumers.get(o.stream, name)
    if (this.stopped) return
    // Ends when a new owner deletes the consumer to take the partition over, instead of sharing its new one.
    this.messages = await consumer.consume({ max_messages: o.batch, abort_on_missing_resource: true, callback: (m) => this.receive(m) })
    if (this.stopped) this.messages.stop()
    o.logger.info({ partition: o.partition, from: ackFloor + 1, replayed: this.counters.replayed }, 'consuming partition')
  }

  /** Creates the durable consumer from the ack floor; one made by an earlier attempt whose reply was lost is used as it is. */
  private async addConsumer (name: string, ackFloor: number): Promise<void> {
    const o = this.o
    try {
      await this.createConsumer(name, ackFloor)
    } catch (err) {
      const code = (err as { api_error?: { err_code?: number } }).api_error?.err_code
      // 10013: a consumer of that name exists with another configuration; 10148: the name is in use.
      if (code !== 10013 && code !== 10148) throw err
      o.logger.warn({ partition: o.partition, error: (err as Error).message }, 'the partition\'s consumer exists already; consuming from it')
    }
  }

  private async createConsumer (name: string, ackFloor: number): Promise<void> {
    const o = this.o
    await o.jsm.consumers.add(o.stream, {
      durable_name: name,
      filter_subject: natsPartitionSubjects(o.partition, o.topicPrefix),
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(o.ackWaitMs),
      max_ack_pending: o.maxAckPending,
      ...ackFloor > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: ackFloor + 1 } : { deliver_policy: DeliverPolicy.All }
    })
  }

  /**
   * The ack floor of the partition's durable consumer (0 when there is none yet): everything up to it was
   * scored and stored. The consumer is deleted and made again from there (see {@link start}).
   */
  private async takeOverConsumer (name: string): Promise<number> {
    const o = this.o
    try {
      const info = await o.jsm.consumers.info(o.stream, name)
      await o.jsm.consumers.delete(o.stream, name)
      return info.ack_floor.stream_seq
    } catch (err) {
      if (isNotFound(err)) return 0
      throw err
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
    const messages = await replayer.consume({ max_messages: o.batch })
    try {
      for await (const m of messages) {
        if (this.stopped) break
        if (m.seq > ackFloor) break
        o.replay(mqttTopicOfPartitionedSubject(m.subject), m.data)
        this.counters.replayed++
        if (m.seq === ackFloor) break
      }
    } finally {
      messages.stop()
    }
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
  get isStopped (): boolean {
    return this.stopped
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.messages?.stop()
    this.flush()
    await this.messages?.closed().catch(() => {})
  }
}

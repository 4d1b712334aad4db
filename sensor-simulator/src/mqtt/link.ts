import mqtt, { Store, type IClientOptions, type MqttClient } from 'mqtt'
import { RateLimitedLog, type Logger } from '@factory-edge/shared/runtime'
import { BoundedQueue } from './bounded-queue.js'
import { Qos0Batch } from './qos0-batch.js'
import { SIMULATOR_DEFAULTS } from '../defaults.js'

/** How the simulator reaches the broker; what is left out comes from `SIMULATOR_DEFAULTS.link`. */
export interface ConnectionOptions {
  brokerUrl: string
  username?: string
  password?: string
  /** CA certificate(s) (PEM) to trust for mqtts:// and wss://. */
  ca?: string | Buffer
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string | Buffer
  key?: string | Buffer
  /** Accept a broker certificate that does not verify (testing only). Default true: verify. */
  rejectUnauthorized?: boolean
  /** QoS of telemetry (default `SIMULATOR_DEFAULTS.qos`); status and ground truth always go out with QoS 1. */
  qos?: 0 | 1
  /** MQTT keepalive in seconds. */
  keepalive?: number
  /**
   * QoS 1 telemetry awaiting PUBACK at most; beyond it readings wait in the bounded queue, so that a
   * broker that stops acknowledging cannot grow the client's in-flight store without limit.
   */
  maxInflight?: number
  /** First and longest wait before reconnecting; the wait doubles after every failed attempt. */
  reconnectMinMs?: number
  reconnectMaxMs?: number
}

export interface LinkOptions extends ConnectionOptions {
  clientId: string
  /** Messages kept while disconnected; beyond this, the oldest are dropped and counted. */
  queueLimit: number
  will?: { topic: string, payload: string }
  logger: Logger
  /** Called on every (re)connection, before the queue is flushed: publish retained status here. */
  onConnect?: () => void
}

const QOS1 = { qos: 1, retain: false } as const
const RETAINED = { qos: 1, retain: true } as const
const DROP_LOG_INTERVAL_MS = 5000
/** Bytes the socket may hold unsent before readings wait in the queue instead (the broker or the network is slower than us). */
const SOCKET_HIGH_WATER = 1024 * 1024
/** A batch is written when it reaches this size even within one turn. */
const BATCH_FLUSH_BYTES = 256 * 1024

/**
 * One MQTT connection that never blocks the simulation: while connected, messages go straight to the
 * client; while not, into a bounded queue that is flushed in order on reconnection. Reconnects with
 * exponential backoff (mqtt.js's own reconnect uses a fixed period).
 */
export class MqttLink {
  /** Messages handed to the connected client (QoS 0 ones as soon as they are batched for the next socket write). */
  published = 0
  /**
   * Messages given up before the broker acknowledged them: QoS 1 ones still unacknowledged when close()
   * stops waiting (a broken connection is not enough: they are sent again after reconnecting), QoS 0
   * ones batched when the connection went away.
   */
  lost = 0
  readonly client: MqttClient
  /**
   * The client's QoS 1 messages sent but not yet acknowledged, kept across reconnections and sent again
   * (with DUP, MQTT-3.3.1-1) before anything new: `client.reconnect()` without them starts from empty
   * stores, and what the broker had not acknowledged when the connection broke would be gone uncounted.
   */
  private readonly stores = { incomingStore: new Store(), outgoingStore: new Store() }
  private readonly queue: BoundedQueue
  private readonly logger: Logger
  private backoffMs: number
  private reconnectTimer: NodeJS.Timeout | undefined
  private closing = false
  private readonly dropLog: RateLimitedLog
  private everConnected = false
  private attemptError: string | undefined
  /** QoS 0 telemetry encoded for the next socket write (undefined with QoS 1). */
  private readonly batch: Qos0Batch | undefined
  private batchCount = 0
  private flushScheduled = false
  /** True while the socket holds more than SOCKET_HIGH_WATER bytes. */
  private congested = false
  private readonly flushBound = (): void => {
    this.flushScheduled = false
    this.flush()
  }

  private readonly sendBound = (topic: string, payload: string | Buffer): void => this.send(topic, payload)
  private readonly onDrain = (): void => {
    this.congested = false
    this.drainQueue()
  }

  /** QoS 1 messages handed to the client and not yet acknowledged (or failed). */
  private inFlight = 0
  /** Set when close() stopped waiting: what was in flight is then counted as lost, once. */
  private gaveUp = false
  private readonly onAck = (err?: Error): void => {
    if (this.gaveUp) return
    this.inFlight--
    if (err !== undefined && err !== null) this.lost++
  }

  /** QoS 1 telemetry sent and not yet acknowledged (PUBACK) or given up: the window of {@link maxInflight}. */
  private telemetryInFlight = 0
  private readonly maxInflight: number
  private readonly onTelemetryAck = (err?: Error): void => {
    this.onAck(err)
    this.telemetryInFlight--
    // Resume at half the window rather than at every single PUBACK, so that queue and socket see batches.
    if (this.windowFull && this.telemetryInFlight <= this.maxInflight / 2) {
      this.windowFull = false
      this.drainQueue()
    }
  }

  /** True while `maxInflight` QoS 1 readings await their PUBACK: new readings wait in the bounded queue. */
  private windowFull = false

  constructor (private readonly options: LinkOptions) {
    this.logger = options.logger
    this.dropLog = new RateLimitedLog(options.logger, DROP_LOG_INTERVAL_MS)
    this.queue = new BoundedQueue(options.queueLimit)
    const qos = options.qos ?? Number(SIMULATOR_DEFAULTS.qos)
    this.batch = qos === 1 ? undefined : new Qos0Batch()
    this.maxInflight = options.maxInflight ?? SIMULATOR_DEFAULTS.link.maxInflight
    this.backoffMs = options.reconnectMinMs ?? SIMULATOR_DEFAULTS.link.reconnectMinMs
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      keepalive: options.keepalive ?? SIMULATOR_DEFAULTS.link.keepaliveS,
      clean: true,
      reconnectPeriod: 0,
      queueQoSZero: false,
      connectTimeout: SIMULATOR_DEFAULTS.link.connectTimeoutMs,
      ...this.stores,
      will: options.will === undefined ? undefined : { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: 1, retain: true }
    }
    this.client = mqtt.connect(options.brokerUrl, clientOptions)
    this.client.on('connect', () => this.handleConnect())
    this.client.on('close', () => this.handleClose())
    // Kept as the cause of the close that follows (a refused login, a refused connection, a TLS error).
    this.client.on('error', (err) => { this.attemptError = err.message })
  }

  get connected (): boolean {
    return this.client.connected
  }

  /** Messages dropped from the full queue (while disconnected or congested). */
  get dropped (): number {
    return this.queue.dropped
  }

  /** Messages waiting for the connection. */
  get queued (): number {
    return this.queue.length
  }

  /** Publishes telemetry (at the configured QoS) now, or queues it while disconnected or congested. */
  publish (topic: string, payload: string | Buffer): void {
    if (this.client.connected && !this.congested && !this.windowFull && this.queue.length === 0) {
      this.send(topic, payload)
      return
    }
    if (!this.queue.push(topic, payload)) this.logDrops()
  }

  /** Publishes a retained message with QoS 1 (status); skipped while disconnected, since onConnect repeats it. */
  publishRetained (topic: string, payload: string): void {
    this.flush()
    if (this.client.connected) this.client.publish(topic, payload, RETAINED)
  }

  /** Publishes with QoS 1 regardless of the telemetry QoS (ground truth must not be lost on the way). */
  publishReliable (topic: string, payload: string): void {
    this.flush()
    if (this.client.connected && this.queue.length === 0) {
      this.published++
      this.inFlight++
      this.client.publish(topic, payload, QOS1, this.onAck)
      return
    }
    if (!this.queue.push(topic, payload)) this.logDrops()
  }

  /** Writes the pending QoS 0 batch to the socket (done automatically once per event-loop turn). */
  flush (): void {
    const batch = this.batch
    if (batch === undefined || batch.size === 0) return
    const count = this.batchCount
    this.batchCount = 0
    const chunk = batch.take() as Buffer
    if (!this.client.connected) {
      // Counted as published when batched; the connection went away before the write.
      this.published -= count
      this.lost += count
      return
    }
    const stream = this.client.stream
    stream.write(chunk)
    if (!this.congested && stream.writableLength > SOCKET_HIGH_WATER) {
      this.congested = true
      stream.once('drain', this.onDrain)
    }
  }

  /** Resolves once connected, or rejects after `timeoutMs`. */
  async waitConnected (timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.client.connected || signal?.aborted === true) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle()
        reject(new Error(`could not connect to ${this.options.brokerUrl} within ${timeoutMs} ms`))
      }, timeoutMs)
      const settle = (): void => {
        clearTimeout(timer)
        this.client.off('connect', done)
        signal?.removeEventListener('abort', done)
      }
      // A stop requested while waiting ends the wait; the caller sees the aborted signal.
      const done = (): void => {
        settle()
        resolve()
      }
      this.client.once('connect', done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  /**
   * Publishes `finalMessages` (e.g. retained `offline`) if connected, then disconnects cleanly, waiting
   * for QoS 1 acknowledgements at most `timeoutMs`.
   */
  async close (finalMessages: Array<{ topic: string, payload: string }> = [], timeoutMs: number = SIMULATOR_DEFAULTS.link.closeTimeoutMs): Promise<void> {
    this.closing = true
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer)
    if (this.client.connected) {
      while (this.queue.shift(this.sendBound));
      this.flush()
      for (const m of finalMessages) this.client.publish(m.topic, m.payload, RETAINED)
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // end(true) is ignored while the end(false) below still waits for acknowledgements: count what
        // is unacknowledged as lost and drop the connection (a later acknowledgement changes nothing).
        this.gaveUp = true
        this.lost += this.inFlight
        this.inFlight = 0
        this.client.stream?.destroy()
        resolve()
      }, timeoutMs)
      this.client.end(false, () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  private send (topic: string, payload: string | Buffer): void {
    this.published++
    if (this.batch !== undefined) {
      this.batch.add(topic, payload)
      this.batchCount++
      if (this.batch.size >= BATCH_FLUSH_BYTES) this.flush()
      else if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(this.flushBound)
      }
      return
    }
    this.inFlight++
    this.telemetryInFlight++
    if (this.telemetryInFlight >= this.maxInflight) this.windowFull = true
    this.client.publish(topic, payload, QOS1, this.onTelemetryAck)
  }

  /** Sends queued messages until the queue is empty or the socket is congested again. */
  private drainQueue (): void {
    while (this.client.connected && !this.congested && !this.windowFull && this.queue.shift(this.sendBound)) {
      if (this.batch !== undefined && this.batch.size >= BATCH_FLUSH_BYTES) this.flush()
    }
    this.flush()
  }

  private handleConnect (): void {
    this.backoffMs = this.options.reconnectMinMs ?? SIMULATOR_DEFAULTS.link.reconnectMinMs
    if (this.everConnected) this.logger.info({ clientId: this.options.clientId, queued: this.queue.length, dropped: this.queue.dropped }, 'reconnected to the broker')
    this.everConnected = true
    this.congested = false
    this.options.onConnect?.()
    this.drainQueue()
  }

  private handleClose (): void {
    if (this.closing) return
    const delay = this.backoffMs
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.reconnectMaxMs ?? SIMULATOR_DEFAULTS.link.reconnectMaxMs)
    const cause = this.attemptError ?? 'the connection closed'
    this.attemptError = undefined
    this.logger.error({ clientId: this.options.clientId, cause, retryInMs: delay, queued: this.queue.length }, `cannot reach the MQTT broker (${cause}); next attempt in ${(delay / 1000).toFixed(1)} s`)
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      if (!this.closing) this.client.reconnect(this.stores)
    }, delay)
    this.reconnectTimer.unref()
  }

  /** One line every few seconds at most; `suppressed` counts the drops in between. */
  private logDrops (): void {
    const why = this.client.connected ? 'the broker or the network is slower than the readings' : 'disconnected'
    this.dropLog.warn(why, { clientId: this.options.clientId, dropped: this.queue.dropped, queueLimit: this.queue.capacity }, `queue full (${why}): dropping the oldest readings`)
  }
}

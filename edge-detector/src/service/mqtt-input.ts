import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt'
import type { Logger, RateLimitedLog } from '@factory-edge/shared/runtime'
import { DETECTOR_DEFAULTS } from '../defaults.js'

export interface MqttInputOptions {
  brokerUrl: string
  username?: string
  password?: string
  caFile?: string
  clientId: string
  /** The telemetry filter, e.g. `factory/+/telemetry`; none: the session only publishes (telemetry comes from NATS). */
  topic?: string
  /** Called for every telemetry message, in arrival order. */
  onMessage: (topic: string, payload: Buffer) => void
  /**
   * The machines' status filter, e.g. `factory/+/status` (retained `online`/`offline`), subscribed beside
   * the telemetry filter when given; its messages go to `onStatus` instead of `onMessage`.
   */
  statusTopic?: string
  onStatus?: (topic: string, payload: Buffer) => void
  /**
   * Called after `onMessage` and before the reading's PUBACK goes out: whatever it makes durable (the
   * InfluxDB points of the reading) survives a crash once the broker stops redelivering the reading.
   */
  beforeAck?: () => void
  logger: Logger
  rateLimited: RateLimitedLog
  /** First and longest wait before reconnecting; default `DETECTOR_DEFAULTS.mqtt`. */
  reconnectMinMs?: number
  reconnectMaxMs?: number
}

/** The session's link to the broker, as /healthz shows it. */
export interface BrokerLinkState {
  connected: boolean
  /** Why the last attempt failed or the connection was lost, e.g. `Connection refused: Not authorized`; cleared once connected. */
  lastError?: string
  /** Attempts that failed in a row. */
  failedAttempts: number
  /** Connections made since start: 1 plus each reconnection (a flapping link shows as a climbing count). */
  connections: number
  /** When the next attempt is due (ISO 8601), while waiting for it. */
  nextRetryAt?: string
}

const STATUS_SUFFIX = '/status'

/**
 * The detector's MQTT session: a persistent session (fixed client id, clean=false) subscribed to the
 * telemetry filter at QoS 1, reconnecting on its own. It is also the way out for what the detector
 * publishes (events, state, rejects), through {@link publish}.
 */
export class MqttInput extends EventEmitter<{ connect: [], offline: [] }> {
  private client: MqttClient | undefined
  private isConnected = false
  private closing = false
  private lastError: string | undefined
  /** The error of the connection or attempt under way, if any. */
  private attemptError: string | undefined
  private failedAttempts = 0
  private connections = 0
  private retryTimer: NodeJS.Timeout | undefined
  private nextRetryAt: number | undefined
  private backoffMs: number
  /** Ends a pending {@link start} when the session is closed before the first connection. */
  private abandonStart: (() => void) | undefined

  constructor (private readonly options: MqttInputOptions) {
    super()
    this.backoffMs = this.minBackoffMs
  }

  get connected (): boolean {
    return this.isConnected
  }

  get state (): BrokerLinkState {
    return {
      connected: this.isConnected,
      ...this.lastError !== undefined ? { lastError: this.lastError } : {},
      failedAttempts: this.failedAttempts,
      connections: this.connections,
      ...this.nextRetryAt !== undefined ? { nextRetryAt: new Date(this.nextRetryAt).toISOString() } : {}
    }
  }

  private get minBackoffMs (): number {
    return this.options.reconnectMinMs ?? DETECTOR_DEFAULTS.mqtt.reconnectMinMs
  }

  /**
   * Connects and resolves once subscribed (the broker may come up later: it keeps trying until then),
   * or once {@link close} is called.
   */
  async start (): Promise<void> {
    const o = this.options
    const client = this.client = mqtt.connect(o.brokerUrl, {
      clientId: o.clientId,
      clean: false,
      protocolVersion: 4,
      // Reconnects are scheduled here, with a growing wait (mqtt.js retries at a fixed period).
      reconnectPeriod: 0,
      connectTimeout: DETECTOR_DEFAULTS.mqtt.connectTimeoutMs,
      keepalive: DETECTOR_DEFAULTS.mqtt.keepaliveS,
      username: o.username,
      password: o.password,
      ca: o.caFile !== undefined ? readFileSync(o.caFile) : undefined
    })
    const onStatus = o.statusTopic !== undefined ? o.onStatus : undefined
    client.on('message', (topic: string, payload: Buffer) => {
      // Telemetry topics end in /telemetry, so this test costs the hot path one comparison.
      if (onStatus !== undefined && topic.endsWith(STATUS_SUFFIX)) onStatus(topic, payload)
      else o.onMessage(topic, payload)
    })
    // The one backpressure hook of mqtt.js: it emits 'message', then calls handleMessage, whose callback
    // sends the PUBACK (MQTT 3.1.1, 4.3.2: the receiver owns the message once it has sent PUBACK) and lets
    // the next packet in. Making the reading's points durable in between means an acknowledged reading
    // is never lost.
    const beforeAck = o.beforeAck
    if (beforeAck !== undefined) {
      client.handleMessage = (_packet, callback) => {
        try {
          beforeAck()
        } catch (err) {
          // A full or broken disk must not stop the stream: the points stay in memory, as without a journal.
          o.rateLimited.warn('journal-error', { error: (err as Error).message }, 'could not journal InfluxDB points')
        }
        callback()
      }
    }
    // The cause of a failed attempt: a refused CONNACK (MQTT 3.1.1 [MQTT-3.2.2-5]: return code 4 or 5 for
    // a bad user name or password, not authorised), a refused or timed-out TCP connection, a TLS error.
    client.on('error', (err) => {
      if (this.isConnected) o.rateLimited.warn('mqtt-error', { error: err.message, url: o.brokerUrl }, 'MQTT error')
      this.attemptError = err.message
    })
    client.on('close', () => {
      if (this.closing) return
      if (this.isConnected) {
        o.logger.warn({ url: o.brokerUrl }, 'lost the MQTT broker; reconnecting')
        this.isConnected = false
        this.emit('offline')
      }
      this.scheduleReconnect()
    })
    await new Promise<void>((resolve) => {
      this.abandonStart = resolve
      client.on('connect', (connack) => {
        this.isConnected = true
        this.connections++
        this.lastError = undefined
        this.failedAttempts = 0
        this.backoffMs = this.minBackoffMs
        if (o.topic === undefined) {
          o.logger.info({ url: o.brokerUrl, clientId: o.clientId }, 'connected to the MQTT broker (events and state only)')
          this.emit('connect')
          resolve()
          return
        }
        // The persistent session keeps the subscription; subscribing again is harmless and covers a broker
        // that lost it. Statuses are retained, so QoS 0 is enough: the broker sends the latest of each
        // machine at every subscription, and none needs queueing while the detector is away.
        const filters: Record<string, { qos: 0 | 1 }> = { [o.topic]: { qos: 1 } }
        if (o.statusTopic !== undefined) filters[o.statusTopic] = { qos: 0 }
        client.subscribe(filters, (err, granted) => {
          if (err !== null && err !== undefined) {
            o.logger.error({ error: err.message, topic: o.topic }, 'subscription failed')
            return
          }
          // MQTT 3.1.1 [MQTT-3.9.3-1]: the SUBACK's return codes follow the order of the filters.
          if (granted?.[0]?.qos === 128) {
            o.logger.error({ topic: o.topic }, 'the broker refused the subscription (not authorised?)')
            return
          }
          if (granted?.[1]?.qos === 128) o.logger.warn({ topic: o.statusTopic }, 'the broker refused the machines\' status subscription: the web view tells offline machines only as silent')
          o.logger.info({ url: o.brokerUrl, clientId: o.clientId, topic: o.topic, sessionPresent: connack.sessionPresent }, 'connected and subscribed')
          this.emit('connect')
          resolve()
        })
      })
    })
  }

  /** Publishes unless the session is being closed; failures are logged, rate-limited. */
  publish (topic: string, payload: string, options: IClientPublishOptions): void {
    const client = this.client
    if (client === undefined || client.disconnecting) return
    client.publish(topic, payload, options, (err) => {
      if (err !== undefined && err !== null) this.options.rateLimited.warn('publish-error', { topic, error: err.message }, 'could not publish')
    })
  }

  /**
   * Ends the session cleanly, so that the broker keeps it and queues readings for the next start; without
   * a broker there is nothing to flush, and waiting for one could hang the shutdown.
   */
  async close (): Promise<void> {
    const client = this.client
    if (client === undefined) return
    this.closing = true
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.nextRetryAt = undefined
    this.abandonStart?.()
    const ended = client.endAsync(!this.isConnected)
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref())
    if (await Promise.race([ended, timeout]) === 'timeout') await client.endAsync(true)
    this.isConnected = false
  }

  /**
   * After a failed attempt or a lost connection: logs the cause and the wait at error level (the detector
   * receives nothing meanwhile) and tries again after it, the wait doubling up to the cap.
   */
  private scheduleReconnect (): void {
    const client = this.client
    if (this.closing || client === undefined || this.retryTimer !== undefined) return
    const o = this.options
    this.failedAttempts++
    const delay = this.backoffMs
    this.backoffMs = Math.min(delay * 2, o.reconnectMaxMs ?? DETECTOR_DEFAULTS.mqtt.reconnectMaxMs)
    this.nextRetryAt = Date.now() + delay
    const cause = this.attemptError ?? 'the connection closed (no CONNACK in time, or dropped)'
    this.attemptError = undefined
    this.lastError = cause
    o.logger.error({ url: o.brokerUrl, clientId: o.clientId, cause, failedAttempts: this.failedAttempts, retryInMs: delay }, `cannot reach the MQTT broker (${cause}); next attempt in ${(delay / 1000).toFixed(1)} s`)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.nextRetryAt = undefined
      // The stores are passed on so that QoS 1 events still in flight are sent again in the same session.
      if (!this.closing) client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore })
    }, delay)
  }
}

import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt'
import type { Logger, RateLimitedLog } from '@factory-edge/shared/runtime'

export interface MqttInputOptions {
  brokerUrl: string
  username?: string
  password?: string
  caFile?: string
  clientId: string
  /** The telemetry filter, e.g. `factory/+/telemetry`. */
  topic: string
  /** Called for every telemetry message, in arrival order. */
  onMessage: (topic: string, payload: Buffer) => void
  /**
   * Called after `onMessage` and before the reading's PUBACK goes out: whatever it makes durable (the
   * InfluxDB points of the reading) survives a crash once the broker stops redelivering the reading.
   */
  beforeAck?: () => void
  logger: Logger
  rateLimited: RateLimitedLog
}

/**
 * The detector's MQTT session: a persistent session (fixed client id, clean=false) subscribed to the
 * telemetry filter at QoS 1, reconnecting on its own. It is also the way out for what the detector
 * publishes (events, state, rejects), through {@link publish}.
 */
export class MqttInput extends EventEmitter<{ connect: [], offline: [] }> {
  private client: MqttClient | undefined
  private isConnected = false
  /** Ends a pending {@link start} when the session is closed before the first connection. */
  private abandonStart: (() => void) | undefined

  constructor (private readonly options: MqttInputOptions) {
    super()
  }

  get connected (): boolean {
    return this.isConnected
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
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      username: o.username,
      password: o.password,
      ca: o.caFile !== undefined ? readFileSync(o.caFile) : undefined
    })
    client.on('message', (topic: string, payload: Buffer) => { o.onMessage(topic, payload) })
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
    client.on('error', (err) => o.rateLimited.warn('mqtt-error', { error: err.message, url: o.brokerUrl }, 'MQTT error'))
    client.on('offline', () => {
      if (this.isConnected) o.logger.warn({ url: o.brokerUrl }, 'lost the MQTT broker; reconnecting')
      this.isConnected = false
      this.emit('offline')
    })
    client.on('reconnect', () => o.rateLimited.warn('mqtt-reconnect', { url: o.brokerUrl }, 'connecting to the MQTT broker'))
    await new Promise<void>((resolve) => {
      this.abandonStart = resolve
      client.on('connect', (connack) => {
        this.isConnected = true
        // The persistent session keeps the subscription; subscribing again is harmless and covers a broker that lost it.
        client.subscribe(o.topic, { qos: 1 }, (err, granted) => {
          if (err !== null && err !== undefined) {
            o.logger.error({ error: err.message, topic: o.topic }, 'subscription failed')
            return
          }
          if (granted?.[0]?.qos === 128) {
            o.logger.error({ topic: o.topic }, 'the broker refused the subscription (not authorised?)')
            return
          }
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
    this.abandonStart?.()
    const ended = client.endAsync(!this.isConnected)
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref())
    if (await Promise.race([ended, timeout]) === 'timeout') await client.endAsync(true)
    this.isConnected = false
  }
}

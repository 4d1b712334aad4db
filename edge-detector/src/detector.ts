import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import mqtt, { type MqttClient } from 'mqtt'
import {
  DEFAULT_TOPIC_PREFIX, DETECTOR_FIELDS, allMachinesTopic, createLogger, loadModel, machineTopic,
  type AnomalyEvent, type Logger, type MachineState, type Model, type RejectedMessage, type RejectReason
} from '@factory-edge/shared'
import { DetectorPipeline, type PipelineSink } from './pipeline/pipeline.js'
import type { AlertPolicy } from './pipeline/alert-policy.js'
import { parseShard, type Shard } from './pipeline/shard.js'
import { LATENCY_BUCKETS } from './pipeline/stats.js'
import { detectorLine } from './pipeline/line-protocol.js'
import type { InfluxOptions, MetricsWriter, MetricsWriterStats } from './influx/metrics-writer.js'
import { ModelWatcher } from './model/model-watcher.js'
import type { Retrainer, RetrainOptions } from './model/retrainer.js'
import { startOpsServer, type HealthReport } from './http/ops-server.js'
import { PrometheusText } from './http/prometheus.js'
import { RateLimitedLog } from '@factory-edge/shared/runtime'

export interface DetectorOptions {
  /** MQTT broker URL, e.g. mqtt://127.0.0.1:1883. */
  brokerUrl: string
  username?: string
  password?: string
  /** CA certificate (PEM file) for mqtts:// and wss://. */
  caFile?: string
  topicPrefix?: string
  /** Model file; watched for changes unless `watchModel` is false. */
  modelPath: string
  watchModel?: boolean
  /**
   * MQTT client id. Fixed (not random) so that the broker keeps the persistent session, and with it
   * the readings published while the detector restarts. Shards get their own by default.
   */
  clientId?: string
  logger?: Logger
  alert?: Partial<AlertPolicy>
  /** Machines tracked at once (least recently seen evicted). */
  maxMachines?: number
  /** Gap between two readings of a machine that empties its window, in ms. */
  gapMs?: number
  maxPayloadBytes?: number
  /** `k/n` or a Shard: handle only the machines whose id hashes to shard k of n. */
  shard?: Shard | string
  /** InfluxDB output; undefined means metrics are off. */
  influx?: InfluxOptions
  /** Port of /healthz and /metrics; 0 picks a free port; null (the default here) turns the server off. */
  httpPort?: number | null
  httpHost?: string
  /** Scheduled retraining; off when undefined. */
  retrain?: RetrainOptions
  /** Interval of the detector's own stats point in InfluxDB, in ms. */
  statsIntervalMs?: number
  /** Republish rejected payloads on `<prefix>/<id>/rejected`. */
  publishRejected?: boolean
  /** Recent non-anomalous feature rows kept for retraining. */
  reservoirSize?: number
}

export interface DetectorStats {
  connected: boolean
  modelVersion: string
  messagesIn: number
  scored: number
  rejected: number
  rejectedByReason: Record<RejectReason, number>
  duplicates: number
  late: number
  outOfOrder: number
  otherShard: number
  windowResets: number
  streamRestarts: number
  raised: number
  cleared: number
  machines: number
  evictions: number
  modelsRefused: number
  influx: MetricsWriterStats | undefined
}

/** A running detector. Emits `anomaly` (AnomalyEvent), `rejected` (RejectedMessage), `model` (Model), `connect` and `offline`. */
export interface DetectorHandle extends EventEmitter {
  /** The model in use (it changes when the file is replaced). */
  readonly model: Model
  /** The /healthz and /metrics base URL, when the HTTP server runs. */
  readonly httpUrl: string | undefined
  /** The pure processing pipeline (for tests and diagnostics). */
  readonly pipeline: DetectorPipeline
  stats: () => DetectorStats
  /** Current health, as served on /healthz. */
  health: () => HealthReport
  /** Prometheus text, as served on /metrics. */
  metrics: () => string
  /** Retrains now on the recent non-anomalous readings (also what the schedule runs). */
  retrain: () => Promise<Model | undefined>
  /** Stops consuming, flushes InfluxDB (spooling what cannot be written) and closes everything. */
  close: () => Promise<void>
}

class Detector extends EventEmitter implements DetectorHandle, PipelineSink {
  readonly pipeline: DetectorPipeline
  httpUrl: string | undefined
  private client: MqttClient | undefined
  private server: Server | undefined
  private writer: MetricsWriter | undefined
  private watcher: ModelWatcher | undefined
  private retrainer: Retrainer | undefined
  private statsTimer: NodeJS.Timeout | undefined
  private connected = false
  private closing = false
  private readonly prefix: string
  private readonly clientId: string
  private readonly rateLimited: RateLimitedLog
  private readonly publishRejected: boolean

  constructor (private readonly options: DetectorOptions, model: Model, private readonly logger: Logger, shard: Shard | undefined) {
    super()
    this.prefix = options.topicPrefix ?? DEFAULT_TOPIC_PREFIX
    this.clientId = options.clientId ?? defaultClientId(shard)
    this.rateLimited = new RateLimitedLog(logger)
    this.publishRejected = options.publishRejected ?? true
    this.pipeline = new DetectorPipeline({
      model,
      sink: this,
      topicPrefix: this.prefix,
      maxMachines: options.maxMachines,
      alert: options.alert,
      gapMs: options.gapMs,
      maxPayloadBytes: options.maxPayloadBytes,
      shard,
      points: options.influx !== undefined,
      reservoirSize: options.reservoirSize ?? options.retrain?.reservoirSize
    })
  }

  get model (): Model {
    return this.pipeline.model
  }

  async start (): Promise<void> {
    const o = this.options
    if (o.influx !== undefined) {
      // Loaded only when used: a gateway without InfluxDB or retraining keeps their modules out of memory.
      const { MetricsWriter } = await import('./influx/metrics-writer.js')
      this.writer = await MetricsWriter.open({ ...o.influx, journal: o.influx.journal ?? true }, this.logger.child({ component: 'influx' }))
      this.logger.info({ url: o.influx.url, org: o.influx.org, bucket: o.influx.bucket, spool: o.influx.spoolDir }, 'writing metrics to InfluxDB')
      const interval = o.statsIntervalMs ?? 10_000
      this.statsTimer = setInterval(() => this.writeStatsPoint(), interval)
      this.statsTimer.unref()
    } else {
      this.logger.info('metrics are off: no InfluxDB URL configured (--influx-url / INFLUX_URL)')
    }
    if (o.watchModel ?? true) {
      this.watcher = new ModelWatcher(o.modelPath, () => this.model, (m) => this.swapModel(m), this.logger.child({ component: 'model' }))
      this.watcher.start()
    }
    if (o.retrain !== undefined) (await this.loadRetrainer()).start()
    if (o.httpPort !== undefined && o.httpPort !== null) {
      const { server, url } = await startOpsServer(o.httpHost ?? '127.0.0.1', o.httpPort, { health: () => this.health(), metrics: () => this.metrics() })
      this.server = server
      this.httpUrl = url
      this.logger.info({ url }, 'serving /healthz and /metrics')
    }
    await this.connect()
  }

  private async connect (): Promise<void> {
    const o = this.options
    const topic = allMachinesTopic('telemetry', this.prefix)
    this.client = mqtt.connect(o.brokerUrl, {
      clientId: this.clientId,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      username: o.username,
      password: o.password,
      ca: o.caFile !== undefined ? readFileSync(o.caFile) : undefined
    })
    const client = this.client
    client.on('message', (t: string, payload: Buffer) => { this.pipeline.process(t, payload) })
    // mqtt.js emits 'message' and then calls handleMessage, whose callback sends the PUBACK: the
    // reading's points are journalled in between, so an acknowledged reading survives a SIGKILL.
    if (this.writer !== undefined) client.handleMessage = this.commitThenAck
    await this.subscribed(client, topic)
  }

  private readonly commitThenAck = (_packet: unknown, callback: (error?: Error) => void): void => {
    try {
      this.writer?.commit()
    } catch (err) {
      // A full or broken disk must not stop the stream: the points stay in memory, as without a journal.
      this.rateLimited.warn('journal-error', { error: (err as Error).message }, 'could not journal InfluxDB points')
    }
    callback()
  }

  private async subscribed (client: MqttClient, topic: string): Promise<void> {
    const o = this.options
    client.on('error', (err) => this.rateLimited.warn('mqtt-error', { error: err.message, url: o.brokerUrl }, 'MQTT error'))
    client.on('offline', () => {
      if (this.connected) this.logger.warn({ url: o.brokerUrl }, 'lost the MQTT broker; reconnecting')
      this.connected = false
      this.emit('offline')
    })
    client.on('reconnect', () => this.rateLimited.warn('mqtt-reconnect', { url: o.brokerUrl }, 'connecting to the MQTT broker'))
    await new Promise<void>((resolve) => {
      client.on('connect', (connack) => {
        this.connected = true
        // The persistent session keeps the subscription; subscribing again is harmless and covers a broker that lost it.
        client.subscribe(topic, { qos: 1 }, (err, granted) => {
          if (err !== null && err !== undefined) {
            this.logger.error({ error: err.message, topic }, 'subscription failed')
            return
          }
          if (granted?.[0]?.qos === 128) {
            this.logger.error({ topic }, 'the broker refused the subscription (not authorised?)')
            return
          }
          this.logger.info({ url: o.brokerUrl, clientId: this.clientId, topic, sessionPresent: connack.sessionPresent }, 'connected and subscribed')
          this.emit('connect')
          resolve()
        })
      })
    })
  }

  anomaly (event: AnomalyEvent, state: MachineState): void {
    this.publish(machineTopic('anomalies', event.machineId, this.prefix), JSON.stringify(event), false)
    this.publish(machineTopic('state', event.machineId, this.prefix), JSON.stringify(state), true)
    const top = event.features[0]
    this.logger.info({ machine: event.machineId, state: event.state, severity: event.severity, score: round(event.score), threshold: round(event.threshold), top: top?.name }, `anomaly ${event.state}`)
    this.emit('anomaly', event)
  }

  tracked (state: MachineState): void {
    this.publish(machineTopic('state', state.machineId, this.prefix), JSON.stringify(state), true)
  }

  rejected (message: RejectedMessage): void {
    this.rateLimited.warn(`reject:${message.reason}`, { machine: message.machineId, topic: message.topic, reason: message.reason, detail: message.detail }, 'rejected a message')
    if (this.publishRejected && message.machineId !== '' && this.connected) {
      this.client?.publish(machineTopic('rejected', message.machineId, this.prefix), JSON.stringify(message), { qos: 0 })
    }
    this.emit('rejected', message)
  }

  line (text: string): void {
    this.writer?.write(text)
  }

  evicted (machineId: string, tracked: number): void {
    this.rateLimited.warn('evicted', { machine: machineId, tracked, max: this.pipeline.machines.capacity }, 'tracking too many machines: forgot the least recently seen')
  }

  private publish (topic: string, payload: string, retain: boolean): void {
    if (this.client === undefined || (this.closing && this.client.disconnecting)) return
    this.client.publish(topic, payload, { qos: 1, retain }, (err) => {
      if (err !== undefined && err !== null) this.rateLimited.warn('publish-error', { topic, error: err.message }, 'could not publish')
    })
  }

  private swapModel (model: Model): void {
    this.pipeline.setModel(model)
    this.emit('model', model)
  }

  async retrain (): Promise<Model | undefined> {
    return await (await this.loadRetrainer()).run()
  }

  private async loadRetrainer (): Promise<Retrainer> {
    if (this.retrainer === undefined) {
      const { Retrainer } = await import('./model/retrainer.js')
      this.retrainer ??= new Retrainer(this.options.retrain ?? {}, this.pipeline, this.options.modelPath, (m) => this.swapModel(m), this.logger.child({ component: 'retrain' }))
    }
    return this.retrainer
  }

  stats (): DetectorStats {
    const s = this.pipeline.stats
    return {
      connected: this.connected,
      modelVersion: this.model.version,
      messagesIn: s.messagesIn,
      scored: s.scored,
      rejected: s.rejected,
      rejectedByReason: { ...s.rejectedByReason },
      duplicates: s.duplicates,
      late: s.late,
      outOfOrder: s.outOfOrder,
      otherShard: s.otherShard,
      windowResets: s.windowResets,
      streamRestarts: s.streamRestarts,
      raised: s.raised,
      cleared: s.cleared,
      machines: this.pipeline.machines.size,
      evictions: s.evictions,
      modelsRefused: this.watcher?.refused ?? 0,
      influx: this.writer?.stats()
    }
  }

  health (): HealthReport {
    const influx = this.writer?.stats()
    return {
      ok: this.connected && !this.closing,
      broker: { connected: this.connected, url: this.options.brokerUrl, clientId: this.clientId },
      model: { loaded: true, version: this.model.version, threshold: this.model.threshold, path: this.options.modelPath, lastError: this.watcher?.lastError },
      influx: influx === undefined ? { state: 'off' } : { state: influx.state, spooled: influx.spooled, dropped: influx.droppedSpoolFull },
      machines: this.pipeline.machines.size
    }
  }

  metrics (): string {
    const s = this.pipeline.stats
    const p = new PrometheusText()
    const c = (name: string, help: string, value: number): void => { p.family(name, 'counter', help).sample(name, value) }
    const g = (name: string, help: string, value: number): void => { p.family(name, 'gauge', help).sample(name, value) }
    c('edge_detector_messages_total', 'Telemetry messages received for this shard', s.messagesIn)
    c('edge_detector_scored_total', 'Readings scored', s.scored)
    p.family('edge_detector_rejected_total', 'counter', 'Messages rejected, by reason')
    for (const [reason, n] of Object.entries(s.rejectedByReason)) p.sample('edge_detector_rejected_total', n, { reason })
    c('edge_detector_duplicates_total', 'Readings dropped as duplicates (same sequence number)', s.duplicates)
    c('edge_detector_late_total', 'Readings too far out of order to score, stored only', s.late)
    c('edge_detector_out_of_order_total', 'Readings scored although older than their machine\'s newest', s.outOfOrder)
    c('edge_detector_other_shard_total', 'Messages skipped because another shard handles the machine', s.otherShard)
    c('edge_detector_window_resets_total', 'Machine windows emptied after a long gap', s.windowResets)
    c('edge_detector_anomalies_raised_total', 'Anomaly alerts raised', s.raised)
    c('edge_detector_anomalies_cleared_total', 'Anomaly alerts cleared', s.cleared)
    p.histogram('edge_detector_processing_seconds', 'Time to decode, validate, window, featurise and score one message', LATENCY_BUCKETS, s.latencyBuckets, s.latencySum)
    g('edge_detector_machines', 'Machines tracked', this.pipeline.machines.size)
    c('edge_detector_machines_evicted_total', 'Machines forgotten to stay within --max-machines', s.evictions)
    g('edge_detector_broker_connected', '1 when connected to the MQTT broker', this.connected ? 1 : 0)
    p.family('edge_detector_model_info', 'gauge', 'The model in use').sample('edge_detector_model_info', 1, { version: this.model.version })
    g('edge_detector_model_threshold', "The model's score threshold", this.model.threshold)
    c('edge_detector_model_refused_total', 'Model files refused as corrupt or incompatible', this.watcher?.refused ?? 0)
    const w = this.writer?.stats()
    g('edge_detector_spool_points', 'InfluxDB points waiting in the on-disk spool', w?.spooled ?? 0)
    c('edge_detector_spool_dropped_total', 'InfluxDB points dropped because the spool was full', w?.droppedSpoolFull ?? 0)
    c('edge_detector_influx_written_total', 'Points written to InfluxDB', w?.written ?? 0)
    c('edge_detector_influx_failures_total', 'Failed InfluxDB write requests', w?.failures ?? 0)
    g('edge_detector_influx_up', '1 when InfluxDB writes succeed, 0 when failing or off', w?.state === 'ok' ? 1 : 0)
    // The usual names of Prometheus' process and Node.js collectors, so existing gateway dashboards work.
    const memory = process.memoryUsage()
    g('process_resident_memory_bytes', 'Resident memory size in bytes', memory.rss)
    g('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes', memory.heapUsed)
    g('nodejs_external_memory_bytes', 'Memory of objects outside the V8 heap (typed arrays, buffers), in bytes', memory.external)
    return p.toString()
  }

  private writeStatsPoint (): void {
    const s = this.pipeline.stats
    const values = [s.messagesIn, s.rejected, s.raised, this.writer?.stats().spooled ?? 0, this.pipeline.machines.size]
    this.writer?.write(detectorLine(this.clientId, Date.now(), Object.fromEntries(DETECTOR_FIELDS.map((f, i) => [f, values[i]]))))
  }

  async close (): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.logger.info('stopping: no longer consuming, flushing')
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer)
    this.watcher?.close()
    this.retrainer?.stop()
    // A clean disconnect keeps the persistent session: the broker queues readings for the next start.
    // Without a broker there is nothing to flush, and waiting for one could hang the shutdown.
    if (this.client !== undefined) {
      const client = this.client
      const ended = client.endAsync(!this.connected)
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref())
      if (await Promise.race([ended, timeout]) === 'timeout') await client.endAsync(true)
    }
    this.connected = false
    if (this.writer !== undefined) {
      this.writeStatsPoint()
      await this.writer.close()
    }
    if (this.server !== undefined) await new Promise<void>((resolve) => this.server?.close(() => resolve()))
    this.logger.info(this.stats(), 'stopped')
  }
}

function defaultClientId (shard: Shard | undefined): string {
  return shard === undefined || shard.count === 1 ? 'factory-edge-detector' : `factory-edge-detector-${shard.index}-of-${shard.count}`
}

function round (x: number): number {
  return Math.round(x * 1e4) / 1e4
}

/** Loads the model, connects to the broker and starts scoring; resolves once subscribed. */
export async function startDetector (options: DetectorOptions): Promise<DetectorHandle> {
  const logger = options.logger ?? createLogger('edge-detector')
  const shard = typeof options.shard === 'string' ? parseShard(options.shard) : options.shard
  const model = await loadModel(options.modelPath)
  logger.info({ path: options.modelPath, version: model.version, threshold: model.threshold, features: model.featureSpec.features, window: model.featureSpec.window }, 'model loaded')
  if (shard !== undefined && shard.count > 1) logger.info({ shard: `${shard.index}/${shard.count}` }, 'handling one shard of the machines')
  const detector = new Detector(options, model, logger, shard)
  try {
    await detector.start()
  } catch (err) {
    await detector.close().catch(() => {})
    throw err
  }
  return detector
}

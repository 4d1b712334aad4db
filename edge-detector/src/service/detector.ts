import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import { allMachinesTopic } from '@factory-edge/shared/contract'
import { loadModel, type Model } from '@factory-edge/shared/ml'
import { loadProfiles, type ProfileSet } from '@factory-edge/shared/profiles'
import { createLogger, settingName, type Logger, RateLimitedLog } from '@factory-edge/shared/runtime'
import { startOpsServer, type HealthReport, type OpsServer } from '@factory-edge/shared/ops'
import { DETECTOR_DEFAULTS } from '../defaults.js'
import { detectorConfigSpec } from '../config.js'
import { DetectorPipeline } from '../pipeline/pipeline.js'
import { BaselineStore, type BaselineResetWatcher } from '../baseline/index.js'
import { resolveModelsDir } from '../model/models-dir.js'
import { storedBaselines } from '../baseline/hooks.js'
import { profileModelPaths, usesDetectorModel } from '../model/profile-models.js'
import { parseShard, type Shard } from '../pipeline/shard.js'
import type { PointWriter } from '../influx/point-writer.js'
import { ModelWatcher } from '../model/model-watcher.js'
import type { Retrainer } from '../model/retrainer.js'
import { createMachineHistory, createWebView, machineStatusHandler, type MachineHistory, type WebView } from '../web/index.js'
import { NatsSource, type NatsSourceState } from '../source/nats-source.js'
import { ReplayGate } from '../source/replay-gate.js'
import { MqttInput, type BrokerLinkState } from './mqtt-input.js'
import { DetectorOutputs } from './outputs.js'
import { DetectorOperations, type OperationsSource } from './operations.js'
import type { DetectorOptions } from './options.js'
import type { DetectorEvents, DetectorHandle, DetectorStats } from './types.js'

/**
 * The detector service's lifecycle: it wires the parts (MQTT input, pipeline, outputs, InfluxDB points,
 * model watcher, retraining, operations server), starts them in order and stops them in reverse.
 */
class Detector extends EventEmitter<DetectorEvents> implements DetectorHandle, OperationsSource {
  readonly pipeline: DetectorPipeline
  readonly clientId: string
  readonly brokerUrl: string
  readonly modelPath: string
  readonly mqtt: MqttInput
  /** Telemetry from a NATS cluster instead of the MQTT subscription (`--source nats://`). */
  readonly natsSource: NatsSource | undefined
  points: PointWriter | undefined
  watcher: ModelWatcher | undefined
  closing = false
  private readonly outputs: DetectorOutputs
  private readonly operations: DetectorOperations
  private retrainer: Retrainer | undefined
  private server: OpsServer | undefined
  private readonly history: MachineHistory | undefined
  /** Machines' retained statuses, for the web view. */
  private readonly onStatus: ((topic: string, payload: Buffer) => void) | undefined
  private web: WebView | undefined
  private statsTimer: NodeJS.Timeout | undefined
  /** Where machines of learning profiles keep their baselines (undefined when no profile learns). */
  private readonly baselines: BaselineStore | undefined
  private resetWatcher: BaselineResetWatcher | undefined

  constructor (private readonly options: DetectorOptions, loaded: LoadedModels, private readonly logger: Logger, shard: Shard | undefined) {
    super()
    const prefix = options.topicPrefix ?? DETECTOR_DEFAULTS.topicPrefix
    const rateLimited = new RateLimitedLog(logger)
    this.clientId = options.clientId ?? defaultClientId(shard, options.nats !== undefined)
    this.brokerUrl = options.brokerUrl
    this.modelPath = options.modelPath
    const httpOn = options.httpPort !== undefined && options.httpPort !== null
    const uiOn = httpOn && (options.ui?.enabled ?? DETECTOR_DEFAULTS.ui.enabled)
    this.mqtt = new MqttInput({
      brokerUrl: options.brokerUrl,
      username: options.username,
      password: options.password,
      caFile: options.caFile,
      clientId: this.clientId,
      topic: options.nats === undefined ? allMachinesTopic('telemetry', prefix) : undefined,
      onMessage: (topic, payload) => { this.pipeline.process(topic, payload) },
      // The web view tells a machine whose publisher said goodbye (its last will) from a silent one.
      statusTopic: options.nats === undefined && uiOn ? allMachinesTopic('status', prefix) : undefined,
      onStatus: (topic, payload) => this.onStatus?.(topic, payload),
      beforeAck: options.influx !== undefined ? () => this.points?.commit() : undefined,
      logger,
      rateLimited
    })
    this.mqtt.on('connect', () => this.emit('connect'))
    this.mqtt.on('offline', () => this.emit('offline'))
    const learns = loaded.profiles.profiles.some((p) => p.definition.model.kind === 'learn')
    const baselines = this.baselines = learns ? new BaselineStore(resolveModelsDir(options.modelsDir ?? options.retrain?.modelsDir, options.modelPath)) : undefined
    this.outputs = new DetectorOutputs({
      saveBaseline: baselines === undefined ? undefined : async (machineId, profile, model) => { await baselines.save(machineId, profile, model) },
      mqtt: this.mqtt,
      events: this,
      topicPrefix: prefix,
      publishRejected: options.publishRejected ?? DETECTOR_DEFAULTS.publishRejected,
      logger,
      rateLimited
    })
    const signals = Math.max(...loaded.profiles.profiles.map((p) => p.definition.signals.length))
    if (uiOn) this.history = createMachineHistory(options.maxMachines ?? DETECTOR_DEFAULTS.maxMachines, signals)
    const gate = new ReplayGate(this.outputs)
    this.pipeline = new DetectorPipeline({
      model: loaded.model,
      profiles: loaded.profiles,
      profileModels: loaded.profileModels,
      baselines: baselines === undefined ? undefined : storedBaselines(baselines, options.alert?.baselineMargin),
      sink: gate,
      observer: this.history,
      topicPrefix: prefix,
      maxMachines: options.maxMachines,
      alert: options.alert,
      gapMs: options.gapMs,
      maxPayloadBytes: options.maxPayloadBytes,
      shard,
      points: options.influx !== undefined,
      reservoirSize: options.reservoirSize ?? options.retrain?.reservoirSize
    })
    this.natsSource = options.nats === undefined
      ? undefined
      : new NatsSource(options.nats, {
        instance: this.clientId,
        topicPrefix: prefix,
        process: (topic, payload) => this.pipeline.process(topic, payload),
        replay: (topic, payload) => gate.muted(() => this.pipeline.process(topic, payload)),
        commit: () => this.points?.commit(),
        logger: logger.child({ component: 'nats' })
      })
    if (this.history !== undefined) this.onStatus = machineStatusHandler(this.pipeline, this.history, prefix, rateLimited)
    this.operations = new DetectorOperations(this)
  }

  get nats (): NatsSourceState | undefined {
    return this.natsSource?.state
  }

  /** The detector's model; undefined when every profile learns per machine or names its own. */
  get model (): Model | undefined {
    return this.pipeline.model
  }

  get connected (): boolean {
    return this.mqtt.connected && (this.natsSource?.state.connected ?? true)
  }

  get brokerLink (): BrokerLinkState {
    return this.mqtt.state
  }

  get httpUrl (): string | undefined {
    return this.server?.url
  }

  get webUrl (): string | undefined {
    return this.web !== undefined && this.server !== undefined ? `${this.server.url}/ui/` : undefined
  }

  /** Starts the parts in order; if one fails, stops those already started and rethrows. */
  async start (): Promise<void> {
    try {
      await this.startParts()
    } catch (err) {
      await this.close().catch(() => {})
      throw err
    }
  }

  private async startParts (): Promise<void> {
    const o = this.options
    if (o.influx !== undefined) {
      // Loaded only when used: a gateway without InfluxDB or retraining keeps their modules out of memory.
      const { PointWriter } = await import('../influx/point-writer.js')
      this.points = await PointWriter.open({ ...o.influx, journal: o.influx.journal ?? true }, this.logger.child({ component: 'influx' }))
      this.outputs.setPoints(this.points)
      this.logger.info({ url: o.influx.url, org: o.influx.org, bucket: o.influx.bucket, spool: o.influx.spoolDir }, 'writing points to InfluxDB')
      this.statsTimer = setInterval(() => this.writeStatsPoint(), o.statsIntervalMs ?? DETECTOR_DEFAULTS.statsIntervalMs)
      this.statsTimer.unref()
    } else {
      this.logger.info('InfluxDB output is off: no InfluxDB URL configured (--influx-url / INFLUX_URL)')
    }
    if (this.model !== undefined && (o.watchModel ?? DETECTOR_DEFAULTS.watchModel)) {
      this.watcher = new ModelWatcher(o.modelPath, () => this.model as Model, (m) => this.swapModel(m), this.logger.child({ component: 'model' }))
      this.watcher.start()
    }
    if (o.retrain !== undefined) (await this.loadRetrainer()).start()
    if (this.baselines !== undefined) await this.watchResets(this.baselines)
    // A stop requested while starting (SIGTERM before the broker answers) ends the start here.
    if (this.closing) return
    if (o.httpPort !== undefined && o.httpPort !== null) {
      const host = o.httpHost ?? DETECTOR_DEFAULTS.httpHost
      const web = this.history === undefined
        ? undefined
        : createWebView({ pipeline: this.pipeline, history: this.history, events: this, system: () => this.operations.systemView(), settings: o.ui ?? {}, host })
      this.server = await startOpsServer({ host, port: o.httpPort, portSetting: o.httpPortSetting ?? settingName(detectorConfigSpec.httpPort), health: () => this.health(), registry: this.operations.registry, routes: web?.view.routes })
      this.logger.info({ url: this.server.url }, 'serving /healthz and /metrics')
      if (web !== undefined) {
        this.web = web.view
        this.web.start()
        this.logWebView(web.token, web.generated)
      }
    }
    if (this.closing) return
    await this.mqtt.start()
    if (this.closing) return
    await this.natsSource?.start()
  }

  private logWebView (token: string | undefined, generated: boolean): void {
    const url = this.webUrl
    if (token === undefined) {
      this.logger.info({ url }, 'live web view (no token: reachable from this computer only)')
    } else if (generated) {
      this.logger.warn({ url: `${url}?token=${token}` }, 'live web view: the HTTP server is reachable from other computers, so the page asks for this generated token (set your own with --ui-token / UI_TOKEN)')
    } else {
      this.logger.info({ url }, 'live web view: asks for the token of --ui-token / UI_TOKEN (bearer, basic-auth password or ?token= once)')
    }
  }

  /** `edge-detector baseline reset` in another process: the machine forgets its baseline and learns again. */
  private async watchResets (store: BaselineStore): Promise<void> {
    const log = this.logger.child({ component: 'baselines' })
    this.resetWatcher = store.watchResets()
    this.resetWatcher.on('reset', ({ machineId, profile }) => {
      const lane = this.pipeline.laneFor(machineId)
      if (profile !== undefined && lane?.profileName !== profile) return
      const tracked = this.pipeline.resetBaseline(machineId)
      log.info({ machine: machineId, profile, tracked }, tracked ? 'baseline reset: the machine learns again' : 'baseline reset: the machine is not tracked now; it learns when it comes back')
    })
    this.resetWatcher.on('error', (err) => log.warn({ error: err.message }, 'watching baseline resets failed'))
    await this.resetWatcher.start()
    log.info({ dir: store.dir }, 'baselines of learning machines kept here')
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
      const { Retrainer } = await import('../model/retrainer.js')
      this.retrainer ??= new Retrainer(this.options.retrain ?? {}, this.pipeline, this.options.modelPath, (m) => this.swapModel(m), this.logger.child({ component: 'retrain' }))
    }
    return this.retrainer
  }

  stats (): DetectorStats {
    return this.operations.stats()
  }

  health (): HealthReport {
    return this.operations.health()
  }

  async metrics (): Promise<string> {
    return await this.operations.registry.metrics()
  }

  private writeStatsPoint (): void {
    const s = this.pipeline.stats
    this.outputs.statsPoint(this.clientId, {
      messages_in: s.messagesIn,
      rejected: s.rejected,
      anomalies: s.raised,
      spool_points: this.points?.stats().spooled ?? 0,
      machines: this.pipeline.machines.size,
      machines_learning: this.pipeline.learningCount()
    })
  }

  async close (): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.logger.info('stopping: no longer consuming, flushing')
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer)
    this.watcher?.close()
    this.retrainer?.stop()
    // Consumption stops first: what was received is scored, journalled and acknowledged, its events sent.
    await this.natsSource?.close()
    await this.resetWatcher?.stop()
    await this.mqtt.close()
    if (this.points !== undefined) {
      this.writeStatsPoint()
      await this.points.close()
    }
    this.web?.close()
    await this.server?.close()
    this.logger.info(this.stats(), 'stopped')
  }
}

function defaultClientId (shard: Shard | undefined, nats: boolean): string {
  const id = DETECTOR_DEFAULTS.clientId
  // With NATS the client id also names the instance's partition leases: one per host by default.
  if (nats) return `${id}-${hostname()}`
  return shard === undefined || shard.count === 1 ? id : `${id}-${shard.index}-of-${shard.count}`
}

/** A detector that is built (model loaded) but not started: `close` works before and during `start`. */
export interface StartableDetector extends DetectorHandle {
  /**
   * Starts the outputs and the HTTP server, connects and resolves once subscribed; a `close` meanwhile
   * ends it. On a failure it closes what it started and rejects.
   */
  start: () => Promise<void>
}

/** The sensor profiles in force and the models their machines are scored with. */
interface LoadedModels {
  profiles: ProfileSet
  /** The detector's model (`--model`), when a profile is scored by it. */
  model: Model | undefined
  profileModels: Map<string, Model>
}

/** Loads the profiles and the models they need. */
async function loadModels (options: DetectorOptions, logger: Logger): Promise<LoadedModels> {
  const profiles = options.profiles ?? loadProfiles(options.profilesPath)
  if (options.profilesPath !== undefined) {
    logger.info({ path: options.profilesPath, profiles: profiles.profiles.map((p) => ({ name: p.name, machines: p.definition.machines, model: p.definition.model })) }, 'sensor profiles loaded')
  }
  let model: Model | undefined
  if (usesDetectorModel(profiles)) {
    model = await loadModel(options.modelPath)
    logger.info({ path: options.modelPath, version: model.version, threshold: model.threshold, features: model.featureSpec.features, window: model.featureSpec.window }, 'model loaded')
  }
  const profileModels = new Map<string, Model>()
  for (const [name, path] of profileModelPaths(profiles)) {
    const own = await loadModel(path)
    profileModels.set(name, own)
    logger.info({ profile: name, path, version: own.version, threshold: own.threshold }, 'profile model loaded')
  }
  return { profiles, model, profileModels }
}

/** Loads the profiles and models and builds the detector without connecting, so that a caller can stop it while it starts. */
export async function createDetector (options: DetectorOptions): Promise<StartableDetector> {
  const logger = options.logger ?? createLogger('edge-detector')
  const shard = typeof options.shard === 'string' ? parseShard(options.shard) : options.shard
  const loaded = await loadModels(options, logger)
  if (shard !== undefined && shard.count > 1) logger.info({ shard: `${shard.index}/${shard.count}` }, 'handling one shard of the machines')
  return new Detector(options, loaded, logger, shard)
}

/** Loads the model, connects to the broker and starts scoring; resolves once subscribed. */
export async function startDetector (options: DetectorOptions): Promise<DetectorHandle> {
  const detector = await createDetector(options)
  await detector.start()
  return detector
}

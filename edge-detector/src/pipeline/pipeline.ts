import { performance } from 'node:perf_hooks'
import { decodeTelemetry, machineIdFromTopic, type AnomalyEvent, type FeatureContribution, type MachineState, type RejectedMessage, type Telemetry } from '@factory-edge/shared/contract'
import { FeatureExtractor, type Model } from '@factory-edge/shared/ml'
import { DETECTOR_DEFAULTS } from '../defaults.js'
import { AlertTracker, type AlertPolicy } from './alert-policy.js'
import { MachineTable, SEEN_SEQS } from './machine-table.js'
import { MachinePoints } from './machine-points.js'
import { FeatureReservoir } from './reservoir.js'
import { SensorChecks, type SensorCheckOptions } from './sensor-checks.js'
import { machineHash, type Shard } from './shard.js'
import { PipelineStats } from './stats.js'

/** Where the pipeline's results go. Called synchronously from {@link DetectorPipeline.process}. */
export interface PipelineSink {
  /** A machine's alert state changed. */
  anomaly: (event: AnomalyEvent, state: MachineState) => void
  /** A payload could not be used. */
  rejected: (message: RejectedMessage) => void
  /** One line of InfluxDB line protocol (only when points are enabled). */
  line: (text: string) => void
  /** A machine was forgotten to make room for a new one. */
  evicted: (machineId: string, tracked: number) => void
  /** A machine was seen for the first time (or again after an eviction); its state is normal. */
  tracked: (state: MachineState) => void
}

/**
 * Sees every scored reading, after the machine's alert and sensor states were updated (the web view's
 * history). Called synchronously on the hot path: it must neither allocate nor do I/O.
 */
export interface PipelineObserver {
  /** A machine took a slot (new, or in place of an evicted one): its history starts over. */
  reset: (slot: number) => void
  scored: (slot: number, reading: Telemetry, score: number) => void
}

export interface PipelineOptions {
  model: Model
  sink: PipelineSink
  observer?: PipelineObserver
  topicPrefix?: string
  /** Machines tracked at once; the least recently seen is evicted beyond this. */
  maxMachines?: number
  alert?: Partial<AlertPolicy>
  /** A gap longer than this between two readings of a machine (by their timestamps) empties its window. */
  gapMs?: number
  maxPayloadBytes?: number
  /** Handle only the machines of this shard. */
  shard?: Shard
  /** Build InfluxDB lines (off when no InfluxDB is configured, to save the work). */
  points?: boolean
  /** Recent non-anomalous feature rows kept for retraining. */
  reservoirSize?: number
  /** Settings of the rule-based sensor-fault detection. */
  sensorChecks?: Partial<SensorCheckOptions>
}

/**
 * What {@link DetectorPipeline.process} did with a message: scored; rejected (invalid, see the sink);
 * a duplicate (same sequence number, dropped); late (too far out of order to score, stored only);
 * or skipped because another shard handles the machine.
 */
export type Outcome = 'scored' | 'rejected' | 'duplicate' | 'late' | 'other-shard'

const REJECTED_PAYLOAD_CHARS = 256

/**
 * The detector's hot path, free of I/O so that it can be tested and benchmarked alone: payload and
 * topic in; per-machine window, features, score and alert state; events, rejects and points out.
 */
export class DetectorPipeline {
  readonly stats = new PipelineStats()
  readonly machines: MachineTable
  readonly alerts: AlertTracker
  readonly sensors: SensorChecks
  readonly prefix: string
  private currentModel: Model
  private extractor: FeatureExtractor
  private readonly points: MachinePoints | undefined
  private features: Float64Array
  private contributions: Float64Array
  private reservoirRows: FeatureReservoir
  private readonly sink: PipelineSink
  private readonly observer: PipelineObserver | undefined
  private readonly gapMs: number
  private readonly maxPayloadBytes: number
  private readonly shard: Shard | undefined
  private readonly reservoirSize: number
  /** Machine-table slot of the reading {@link process} scored last (for callers that report per reading). */
  lastSlot = -1

  constructor (options: PipelineOptions) {
    this.sink = options.sink
    this.observer = options.observer
    this.prefix = options.topicPrefix ?? DETECTOR_DEFAULTS.topicPrefix
    const capacity = options.maxMachines ?? DETECTOR_DEFAULTS.maxMachines
    this.machines = new MachineTable(capacity)
    this.alerts = new AlertTracker(capacity, options.alert)
    this.sensors = new SensorChecks(capacity, options.sensorChecks)
    this.gapMs = options.gapMs ?? DETECTOR_DEFAULTS.gapMs
    this.maxPayloadBytes = options.maxPayloadBytes ?? DETECTOR_DEFAULTS.maxPayloadBytes
    this.shard = options.shard !== undefined && options.shard.count > 1 ? options.shard : undefined
    this.points = (options.points ?? true) ? new MachinePoints(capacity) : undefined
    this.reservoirSize = options.reservoirSize ?? DETECTOR_DEFAULTS.reservoirSize
    this.currentModel = options.model
    this.extractor = new FeatureExtractor(options.model.featureSpec)
    this.points?.setModel(options.model.version, options.model.threshold, this.extractor.spec.features)
    this.features = new Float64Array(this.extractor.size)
    this.contributions = new Float64Array(this.extractor.size)
    this.reservoirRows = new FeatureReservoir(this.reservoirSize, this.extractor.size)
  }

  get model (): Model {
    return this.currentModel
  }

  /** Recent non-anomalous feature rows, for retraining. */
  get reservoir (): FeatureReservoir {
    return this.reservoirRows
  }

  /**
   * Swaps in another model between two messages. With the same feature specification the machine
   * windows are kept; otherwise they (and the retraining reservoir) start over.
   */
  setModel (model: Model): void {
    const sameSpec = JSON.stringify(model.featureSpec) === JSON.stringify(this.currentModel.featureSpec)
    this.currentModel = model
    if (!sameSpec) {
      this.extractor = new FeatureExtractor(model.featureSpec)
      this.features = new Float64Array(this.extractor.size)
      this.contributions = new Float64Array(this.extractor.size)
      this.reservoirRows = new FeatureReservoir(this.reservoirSize, this.extractor.size)
      this.machines.dropWindows()
    }
    this.points?.setModel(model.version, model.threshold, this.extractor.spec.features)
  }

  /** True when this detector handles the machine (always, unless sharded). */
  handles (machineId: string): boolean {
    return this.shard === undefined || (machineHash(machineId) % this.shard.count) + 1 === this.shard.index
  }

  /** Processes one message and says what it did with it. */
  process (topic: string, payload: Uint8Array): Outcome {
    const started = performance.now()
    const topicId = machineIdFromTopic(topic, this.prefix)
    if (topicId !== undefined && this.shard !== undefined && !this.handles(topicId)) {
      this.stats.otherShard++
      return 'other-shard'
    }
    this.stats.messagesIn++
    const decoded = decodeTelemetry(payload, topicId ?? '', this.maxPayloadBytes)
    if (!decoded.ok) {
      this.reject(topic, topicId, payload, decoded.reason, decoded.detail)
      return 'rejected'
    }
    const outcome = this.score(decoded.value)
    this.stats.observeLatency((performance.now() - started) / 1000)
    return outcome
  }

  /**
   * Processes a reading that is already decoded and checked against the contract (a row of a data file,
   * read by the shared data reader): the path of {@link process} after its decoding.
   */
  processReading (r: Telemetry): Outcome {
    if (this.shard !== undefined && !this.handles(r.machineId)) {
      this.stats.otherShard++
      return 'other-shard'
    }
    this.stats.messagesIn++
    return this.score(r)
  }

  private score (r: Telemetry): Outcome {
    const table = this.machines
    const slot = table.lookup(r.machineId)
    if (table.evictedId !== undefined) {
      this.stats.evictions++
      this.sink.evicted(table.evictedId, table.size)
    }
    if (table.created) {
      this.alerts.reset(slot)
      this.sensors.reset(slot)
      this.points?.reset(slot)
      this.observer?.reset(slot)
      this.sink.tracked(this.stateOf(slot, r.ts))
    }
    const model = this.currentModel

    const maxSeq = table.maxSeq[slot]
    const seq = r.seq
    let newest = true
    let dropout = false
    if (maxSeq < 0 || seq > maxSeq) {
      if (maxSeq >= 0 && r.ts > table.lastTs[slot]) dropout = this.sensors.gap(seq - maxSeq - 1)
      table.advanceSeq(slot, seq)
    } else if (r.ts > table.lastTs[slot]) {
      // A lower sequence number with a newer timestamp: the publisher restarted its count.
      this.stats.streamRestarts++
      table.maxSeq[slot] = -1
      table.advanceSeq(slot, seq)
      const w = table.windows[slot]
      if (w !== undefined) this.extractor.resetWindow(w)
      this.sensors.reset(slot)
    } else if (maxSeq - seq < SEEN_SEQS) {
      if (table.testAndSetSeen(slot, seq)) {
        this.stats.duplicates++
        return 'duplicate'
      }
      // Out of order but recent (a broker redelivering its backlog after a restart): scored like the rest.
      this.stats.outOfOrder++
      newest = false
    } else {
      // Too far behind to tell from a redelivered copy: a good reading, so it is stored, but not scored twice.
      this.stats.late++
      if (this.points !== undefined) this.sink.line(this.points.telemetry(slot, r))
      return 'late'
    }

    let window = table.windows[slot]
    if (window === undefined) {
      window = table.windows[slot] = this.extractor.createWindow()
    } else if (newest && window.count > 0 && r.ts - table.lastTs[slot] > this.gapMs) {
      this.extractor.resetWindow(window)
      this.stats.windowResets++
    }
    if (newest) table.lastTs[slot] = r.ts
    const features = this.features
    this.extractor.push(window, r, r.ts, features)
    // The training-range excess once, for the score and for the sensor checks' excursions.
    const excess = model.range.excess(features)
    const score = model.range.extend(model.forest.score(features), excess)
    const threshold = model.threshold
    this.lastSlot = slot
    this.stats.scored++

    // Only readings in order tell a frozen or spiking signal; a dropout shows at the reading after the gap.
    const sensors = this.sensors
    const evidence = newest && (sensors.check(slot, r, excess) || dropout)
    const sensorChange = newest ? sensors.update(slot, evidence) : 'unchanged'
    if (sensorChange !== 'unchanged') this.emitEvent(slot, r, score, sensorChange === 'raised', true)
    // While a sensor lies its readings are no evidence about the process: they count as under the threshold.
    const faulty = sensors.isRaised(slot)
    const change = this.alerts.update(slot, faulty ? Math.min(score, threshold - this.alerts.policy.hysteresis - 1e-9) : score, threshold, r.ts)
    if (faulty) this.alerts.lastScore[slot] = score
    if (change === 'raised' && sensors.attributeToDrift(slot)) {
      // One sensor departs alone from its usual level: what looked like the process is that sensor.
      this.alerts.withdraw(slot)
      this.emitEvent(slot, r, score, true, true)
    } else if (change !== 'unchanged') {
      this.emitEvent(slot, r, score, change === 'raised', false)
    }
    this.observer?.scored(slot, r, score)
    if (this.points !== undefined) {
      this.sink.line(this.points.telemetry(slot, r))
      this.sink.line(this.points.score(slot, r, score, threshold, features))
    }
    if (score <= threshold && !this.alerts.isRaised(slot) && !faulty) this.reservoirRows.add(features)
    return 'scored'
  }

  private emitEvent (slot: number, r: Telemetry, score: number, raised: boolean, sensorFault: boolean): void {
    const table = this.machines
    const model = this.currentModel
    if (raised) this.stats.raised++
    else this.stats.cleared++
    model.contributions(this.features, this.contributions)
    const info = this.extractor.info
    const features: FeatureContribution[] = []
    for (let f = 0; f < info.length; f++) {
      features.push({ name: info[f].name, unit: info[f].unit, value: this.features[f], contribution: this.contributions[f] })
    }
    features.sort((a, b) => b.contribution - a.contribution)
    const window = table.windows[slot]
    const span = window !== undefined ? this.extractor.windowSpan(window) : { from: r.ts, to: r.ts }
    const event: AnomalyEvent = {
      machineId: r.machineId,
      ts: r.ts,
      seq: r.seq,
      state: raised ? 'raised' : 'cleared',
      kind: sensorFault ? 'sensor_fault' : 'process',
      severity: sensorFault ? 'warning' : this.alerts.severityOf(slot),
      score,
      threshold: model.threshold,
      modelVersion: model.version,
      features,
      window: {
        size: window?.count ?? 0,
        from: span.from,
        to: span.to,
        over: this.alerts.overCount(slot),
        of: this.alerts.consideredCount(slot)
      }
    }
    const alerts = this.alerts
    if (!sensorFault && alerts.calibrated) {
      event.calibration = { smoothedScore: alerts.smoothed[slot], baseline: alerts.baseline[slot], margin: alerts.policy.baselineMargin }
    }
    if (sensorFault) {
      const signal = this.sensors.signalOf(slot)
      if (signal !== undefined) event.signal = signal
      event.fault = this.sensors.faultOf(slot)
    }
    this.sink.anomaly(event, this.stateOf(slot, r.ts))
    if (this.points !== undefined) this.sink.line(this.points.event(slot, r, event))
  }

  /** The retained state of a tracked machine. */
  stateOf (slot: number, ts: number): MachineState {
    const table = this.machines
    return {
      machineId: table.ids[slot] as string,
      ts,
      state: this.alerts.isRaised(slot) ? 'anomalous' : 'normal',
      score: this.alerts.lastScore[slot],
      threshold: this.currentModel.threshold,
      modelVersion: this.currentModel.version
    }
  }

  private reject (topic: string, topicId: string | undefined, payload: Uint8Array, reason: RejectedMessage['reason'], detail: string): void {
    this.stats.rejected++
    this.stats.rejectedByReason[reason]++
    const text = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, REJECTED_PAYLOAD_CHARS * 4)).toString('utf8')
    this.sink.rejected({
      machineId: topicId ?? '',
      topic,
      ts: Date.now(),
      reason,
      detail,
      payload: text.length > REJECTED_PAYLOAD_CHARS ? text.slice(0, REJECTED_PAYLOAD_CHARS) : text
    })
  }
}

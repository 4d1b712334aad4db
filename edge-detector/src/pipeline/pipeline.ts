import { performance } from 'node:perf_hooks'
import { machineIdFromTopic, parseTelemetryPayload, type AnomalyEvent, type FeatureContribution, type MachineState, type RejectedMessage } from '@factory-edge/shared/contract'
import type { FeatureSpec, Model } from '@factory-edge/shared/ml'
import { builtInProfiles, type ProfileSet, type SensorProfile, type TelemetryCheck } from '@factory-edge/shared/profiles'
import { DETECTOR_DEFAULTS } from '../defaults.js'
import { AlertTracker, type AlertPolicy } from './alert-policy.js'
import { AutoGaps } from './auto-gaps.js'
import { DURATION_ONLY_ROWS, LearningSlots } from './learning-slots.js'
import { MachineTable, SEEN_SEQS } from './machine-table.js'
import { MachinePoints } from './machine-points.js'
import { ProfileLane } from './profile-lane.js'
import type { FeatureReservoir } from './reservoir.js'
import { SensorChecks, type SensorCheckOptions } from './sensor-checks.js'
import { machineHash, type Shard } from './shard.js'
import { PipelineStats } from './stats.js'

export { ProfileLane }

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
  /** A machine was seen for the first time (or again after an eviction). */
  tracked: (state: MachineState) => void
  /** A machine's retained state changed without an alert: learning progress, a baseline learned or reset. */
  state?: (state: MachineState) => void
  /** A machine learned its baseline (to be persisted). */
  learned?: (machineId: string, profile: SensorProfile, model: Model) => void
  /** A machine's persisted baseline could not be used (it learns again), or learning failed. */
  baselineRefused?: (machineId: string, profile: SensorProfile, error: Error) => void
}

/**
 * Sees every reading that reached a machine's window, after the machine's alert and sensor states were
 * updated (the web view's history). Called synchronously on the hot path: it must neither allocate nor
 * do I/O.
 */
export interface PipelineObserver {
  /** A machine took a slot (new, or in place of an evicted one): its history starts over. */
  reset: (slot: number, lane: ProfileLane) => void
  /** `values` are the lane's (raw signals first); `score` is NaN while the machine learns. */
  scored: (slot: number, ts: number, values: Float64Array, score: number) => void
}

/** How machines of learning profiles get their baselines: from disk, or trained from their rows. */
export interface BaselineHooks {
  /**
   * The persisted baseline of a machine, or undefined; throws when it cannot be used, also when it was
   * learned with other features than the profile computes now (BaselineStore.loadSync checks both).
   */
  load: (machineId: string, profile: SensorProfile) => Model | undefined
  /**
   * Trains a machine's baseline from the feature rows it collected (row-major, spec's width); `learnedAt`
   * is the time of its last learning reading.
   */
  learn: (machineId: string, profile: SensorProfile, spec: FeatureSpec, rows: Float64Array, learnedAt: number) => Model
}

export interface PipelineOptions {
  /**
   * The detector's model: scores the machines of every profile with a `model` policy that names no file
   * of its own (the built-in ai4i profile). Required when such a profile is in force.
   */
  model?: Model
  /** The sensor profiles in force; the built-in ones by default. */
  profiles?: ProfileSet
  /** Models of the profiles that name a model file of their own, by profile name. */
  profileModels?: ReadonlyMap<string, Model>
  /** Baselines of the machines of learning profiles; without it they learn and keep them in memory only. */
  baselines?: BaselineHooks
  sink: PipelineSink
  observer?: PipelineObserver
  topicPrefix?: string
  /** Machines tracked at once; the least recently seen is evicted beyond this. */
  maxMachines?: number
  alert?: Partial<AlertPolicy>
  /** A gap longer than this between two readings of a machine (by their timestamps) empties its window (profiles without their own gapMs). */
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
 * What {@link DetectorPipeline.process} did with a message: scored; learning (added to a machine's
 * learning data, not scored); unscored (a missing optional signal the features need); rejected
 * (invalid, see the sink); a duplicate (same sequence number, dropped); late (too far out of order to
 * score, stored only); or skipped because another shard handles the machine.
 */
export type Outcome = 'scored' | 'learning' | 'unscored' | 'rejected' | 'duplicate' | 'late' | 'other-shard'

/** Learning progress is published (retained state) at every this share of the goal. */
const PROGRESS_STEP = 0.1
/**
 * Readings a machine with a new baseline of its own (just learned, or loaded) scores before it may
 * raise, while its calibration learns where its scores sit on readings the forest was not grown on: its
 * own learning rows score lower than new readings of the same normal, and without this every pump of the
 * demo alerted at the end of its learning.
 */
export const LEARNED_WARMUP_READINGS = 120

const REJECTED_PAYLOAD_CHARS = 256

/**
 * The detector's hot path, free of I/O so that it can be tested and benchmarked alone: payload and
 * topic in; the machine's sensor profile, window, features, score (or learning) and alert state; events,
 * rejects and points out.
 */
export class DetectorPipeline {
  readonly stats = new PipelineStats()
  readonly machines: MachineTable
  readonly alerts: AlertTracker
  readonly sensors: SensorChecks
  readonly learning: LearningSlots
  readonly prefix: string
  readonly profiles: ProfileSet
  /** One lane per profile, in match order. */
  readonly lanes: readonly ProfileLane[]
  /** Lane index of each slot's machine. */
  readonly laneOf: Uint8Array
  /** The learned baseline of each slot of a learning profile (undefined while learning). */
  readonly learned: Array<Model | undefined>
  private readonly points: MachinePoints | undefined
  private readonly autoGaps: AutoGaps
  private readonly sink: PipelineSink
  private readonly observer: PipelineObserver | undefined
  private readonly baselines: BaselineHooks | undefined
  private readonly gapMs: number
  private readonly maxPayloadBytes: number
  private readonly shard: Shard | undefined
  /** Lanes scored by the detector's model (the `model` policy without a file of its own). */
  private readonly defaultLanes: ProfileLane[]
  private defaultModel: Model | undefined
  /** The only lane, when it covers every machine: no profile lookup per message. */
  private readonly soleLane: ProfileLane | undefined
  /** Progress step last published per learning slot. */
  private readonly progressStep: Uint8Array
  /** Machine-table slot of the reading {@link process} handled last (for callers that report per reading). */
  lastSlot = -1

  constructor (options: PipelineOptions) {
    this.sink = options.sink
    this.observer = options.observer
    this.baselines = options.baselines
    this.prefix = options.topicPrefix ?? DETECTOR_DEFAULTS.topicPrefix
    const capacity = options.maxMachines ?? DETECTOR_DEFAULTS.maxMachines
    this.profiles = options.profiles ?? builtInProfiles()
    if (this.profiles.profiles.length > 255) throw new RangeError('at most 255 sensor profiles')
    this.defaultModel = options.model
    const reservoirSize = options.reservoirSize ?? DETECTOR_DEFAULTS.reservoirSize
    this.defaultLanes = []
    this.lanes = this.profiles.profiles.map((profile, index) => {
      const policy = profile.definition.model
      let model: Model | undefined
      if (policy.kind === 'file') {
        model = policy.file === undefined ? options.model : options.profileModels?.get(profile.name)
        if (model === undefined) {
          throw new Error(policy.file === undefined ? `profile ${profile.name} is scored by the detector's model, but none was given` : `profile ${profile.name}: its model ${policy.file} was not loaded`)
        }
      }
      const lane = new ProfileLane(profile, index, model, reservoirSize)
      if (policy.kind === 'file' && policy.file === undefined) this.defaultLanes.push(lane)
      return lane
    })
    const first = this.lanes[0]
    this.soleLane = this.lanes.length === 1 && first.profile.definition.machines.includes('*') ? first : undefined
    this.machines = new MachineTable(capacity)
    this.laneOf = new Uint8Array(capacity)
    this.learned = new Array(capacity).fill(undefined)
    this.progressStep = new Uint8Array(capacity)
    this.alerts = new AlertTracker(capacity, options.alert)
    this.sensors = new SensorChecks(capacity, options.sensorChecks, Math.max(...this.lanes.map((l) => l.rawCount)))
    this.learning = new LearningSlots(capacity)
    this.autoGaps = new AutoGaps(capacity)
    this.gapMs = options.gapMs ?? DETECTOR_DEFAULTS.gapMs
    this.maxPayloadBytes = options.maxPayloadBytes ?? DETECTOR_DEFAULTS.maxPayloadBytes
    this.shard = options.shard !== undefined && options.shard.count > 1 ? options.shard : undefined
    this.points = (options.points ?? true) ? new MachinePoints(capacity) : undefined
  }

  /** The detector's model (see {@link PipelineOptions.model}); undefined when every profile learns or has its own. */
  get model (): Model | undefined {
    return this.defaultModel
  }

  /** Recent non-anomalous feature rows of the detector's model's machines, for retraining. */
  get reservoir (): FeatureReservoir | undefined {
    return this.defaultLanes[0]?.reservoir
  }

  /**
   * Swaps in another detector model between two messages. With the same feature specification the
   * machine windows are kept; otherwise they (and the retraining reservoir) start over.
   */
  setModel (model: Model): void {
    this.defaultModel = model
    for (const lane of this.defaultLanes) {
      if (!lane.setModel(model)) continue
      const table = this.machines
      for (let slot = 0; slot < table.capacity; slot++) if (this.laneOf[slot] === lane.index) table.windows[slot] = undefined
    }
    this.points?.resetAll()
  }

  /** Tracked machines still learning their baseline. */
  learningCount (): number {
    let n = 0
    const active = this.learning.active
    for (let slot = 0; slot < this.machines.size; slot++) if (active[slot] === 1) n++
    return n
  }

  /** The model that scores a slot's machine; undefined while it learns. */
  modelOf (slot: number): Model | undefined {
    return this.lanes[this.laneOf[slot]].model ?? this.learned[slot]
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
    const parsed = parseTelemetryPayload(payload, this.maxPayloadBytes)
    if (!parsed.ok) {
      this.reject(topic, topicId, payload, parsed.reason, parsed.detail)
      return 'rejected'
    }
    const value = parsed.value
    const id = topicId ?? (typeof value.machineId === 'string' ? value.machineId : undefined)
    // Without any id, the first profile's validator names what is wrong with the payload.
    const lane = id === undefined ? this.lanes[0] : this.laneFor(id)
    if (lane === undefined) {
      this.reject(topic, topicId, payload, 'no_profile', `no sensor profile covers machine ${id as string} (profiles: ${this.profiles.source})`)
      return 'rejected'
    }
    const check = lane.profile.validator.validate(value, lane.values, topicId)
    if (!check.ok) {
      this.reject(topic, topicId, payload, check.reason ?? 'not_object', check.detail)
      return 'rejected'
    }
    const outcome = this.score(lane, check)
    this.stats.observeLatency((performance.now() - started) / 1000)
    return outcome
  }

  /**
   * Processes a reading given as a record (a row of a data file): validated like a payload, or, when
   * `trusted` (the shared data reader already checked it against the same contract), only copied.
   */
  processRecord (record: Record<string, unknown>, trusted = false): Outcome {
    const id = record.machineId
    if (typeof id === 'string' && this.shard !== undefined && !this.handles(id)) {
      this.stats.otherShard++
      return 'other-shard'
    }
    this.stats.messagesIn++
    const lane = typeof id === 'string' ? this.laneFor(id) : this.lanes[0]
    if (lane === undefined) {
      this.report(id as string, '', 'no_profile', `no sensor profile covers machine ${id as string} (profiles: ${this.profiles.source})`, '')
      return 'rejected'
    }
    const validator = lane.profile.validator
    const check = trusted ? validator.assign(record, lane.values) : validator.validate(record, lane.values)
    if (!check.ok) {
      this.report(typeof id === 'string' ? id : '', '', check.reason ?? 'not_object', check.detail, '')
      return 'rejected'
    }
    return this.score(lane, check)
  }

  /** The lane of a machine: its slot's when tracked, else the first profile that covers it. */
  laneFor (machineId: string): ProfileLane | undefined {
    if (this.soleLane !== undefined) return this.soleLane
    const slot = this.machines.slotOf(machineId)
    if (slot >= 0) return this.lanes[this.laneOf[slot]]
    const profile = this.profiles.profileFor(machineId)
    return profile === undefined ? undefined : this.lanes[this.profiles.profiles.indexOf(profile)]
  }

  /**
   * Forgets a tracked machine's learned baseline and starts its learning over (after maintenance);
   * false when the machine is not tracked or its profile does not learn.
   */
  resetBaseline (machineId: string, ts = Date.now()): boolean {
    const slot = this.machines.slotOf(machineId)
    if (slot < 0) return false
    const lane = this.lanes[this.laneOf[slot]]
    if (lane.learn === undefined) return false
    this.startLearning(slot, lane, machineId)
    this.alerts.reset(slot)
    this.sensors.reset(slot)
    this.points?.reset(slot)
    const w = this.machines.windows[slot]
    if (w !== undefined) lane.extractor.resetWindow(w)
    this.sink.state?.(this.stateOf(slot, ts))
    return true
  }

  private score (lane: ProfileLane, r: TelemetryCheck): Outcome {
    const table = this.machines
    const machineId = r.machineId
    const ts = r.ts
    const values = lane.values
    const stats = this.stats
    if (r.unknownFields > 0) stats.unknownFields += r.unknownFields
    if (r.missingOptional > 0) stats.missingOptional += r.missingOptional
    const slot = table.lookup(machineId)
    this.lastSlot = slot
    if (table.evictedId !== undefined) {
      stats.evictions++
      this.sink.evicted(table.evictedId, table.size)
    }
    if (table.created) this.track(slot, lane, machineId, ts)
    const model = lane.model ?? this.learned[slot]

    const maxSeq = table.maxSeq[slot]
    const seq = r.seq
    let newest = true
    let dropout = false
    if (maxSeq < 0 || seq > maxSeq) {
      if (maxSeq >= 0 && ts > table.lastTs[slot]) dropout = this.sensors.gap(seq - maxSeq - 1)
      table.advanceSeq(slot, seq)
    } else if (ts > table.lastTs[slot]) {
      // A lower sequence number with a newer timestamp: the publisher restarted its count.
      stats.streamRestarts++
      table.maxSeq[slot] = -1
      table.advanceSeq(slot, seq)
      const w = table.windows[slot]
      if (w !== undefined) lane.extractor.resetWindow(w)
      this.sensors.reset(slot)
    } else if (maxSeq - seq < SEEN_SEQS) {
      if (table.testAndSetSeen(slot, seq)) {
        stats.duplicates++
        return 'duplicate'
      }
      // Out of order but recent (a broker redelivering its backlog after a restart): scored like the rest.
      stats.outOfOrder++
      newest = false
    } else {
      // Too far behind to tell from a redelivered copy: a good reading, so it is stored, but not scored twice.
      stats.late++
      if (this.points !== undefined) this.sink.line(this.points.telemetry(slot, machineId, lane, model?.version ?? '', model?.threshold ?? 0, values, ts))
      return 'late'
    }
    if (!lane.profile.scorable(values)) {
      // A missing optional signal the features need: stored, but kept out of the window and the model.
      stats.unscored++
      if (newest) table.lastTs[slot] = ts
      if (this.points !== undefined) this.sink.line(this.points.telemetry(slot, machineId, lane, model?.version ?? '', model?.threshold ?? 0, values, ts))
      return 'unscored'
    }

    const extractor = lane.extractor
    let window = table.windows[slot]
    if (window === undefined) {
      window = table.windows[slot] = extractor.createWindow()
    } else if (newest && window.count > 0 && ts - table.lastTs[slot] > this.gapOf(lane, slot)) {
      extractor.resetWindow(window)
      stats.windowResets++
    }
    if (newest) {
      table.lastTs[slot] = ts
      if (lane.profile.definition.gapMs === 'auto') this.autoGaps.observe(slot, ts)
    }
    const features = lane.features
    extractor.push(window, values, ts, features)

    if (model === undefined) return this.learn(slot, lane, machineId, ts, window.count >= extractor.capacity)

    // The training-range excess once, for the score and for the sensor checks' excursions.
    const excess = model.range.excess(features)
    const score = model.range.extend(model.forest.score(features), excess)
    const threshold = model.threshold
    stats.scored++

    // Only readings in order tell a frozen or spiking signal; a dropout shows at the reading after the gap.
    const sensors = this.sensors
    const evidence = newest && (sensors.check(slot, values, lane.rawCount, excess) || dropout)
    const sensorChange = newest ? sensors.update(slot, evidence) : 'unchanged'
    if (sensorChange !== 'unchanged') this.emitEvent(slot, lane, model, machineId, ts, seq, score, sensorChange === 'raised', true)
    // While a sensor lies its readings are no evidence about the process: they count as under the threshold.
    const faulty = sensors.isRaised(slot)
    const alerts = this.alerts
    const change = alerts.update(slot, faulty ? Math.min(score, threshold - alerts.policy.hysteresis - 1e-9) : score, threshold, ts)
    if (faulty) alerts.lastScore[slot] = score
    if (change === 'raised' && sensors.attributeToDrift(slot)) {
      // One sensor departs alone from its usual level: what looked like the process is that sensor.
      alerts.withdraw(slot)
      this.emitEvent(slot, lane, model, machineId, ts, seq, score, true, true)
    } else if (change !== 'unchanged') {
      this.emitEvent(slot, lane, model, machineId, ts, seq, score, change === 'raised', false)
    }
    this.observer?.scored(slot, ts, values, score)
    if (this.points !== undefined) {
      this.sink.line(this.points.telemetry(slot, machineId, lane, model.version, threshold, values, ts))
      this.sink.line(this.points.score(slot, machineId, lane, model.version, ts, score, threshold, features))
    }
    if (score <= threshold && !alerts.isRaised(slot) && !faulty) {
      lane.reservoir.add(features)
      // A relearning machine learns only from readings its current baseline finds normal.
      if (this.learning.isRelearning(slot)) this.collect(slot, lane, machineId, ts, window.count >= extractor.capacity)
    }
    return 'scored'
  }

  /** The gap that empties a slot's window: the profile's, its automatic one, or the detector's. */
  private gapOf (lane: ProfileLane, slot: number): number {
    const gap = lane.profile.definition.gapMs
    return gap === undefined ? this.gapMs : gap === 'auto' ? this.autoGaps.gapMs[slot] : gap
  }

  /** A machine took a slot: its profile, and for a learning profile its baseline from disk or a new learning. */
  private track (slot: number, lane: ProfileLane, machineId: string, ts: number): void {
    if (this.laneOf[slot] !== lane.index) this.machines.windows[slot] = undefined
    this.laneOf[slot] = lane.index
    this.learned[slot] = undefined
    this.learning.stop(slot)
    this.alerts.reset(slot)
    this.alerts.setMargin(slot, lane.profile.alertMargin ?? this.alerts.policy.baselineMargin)
    this.sensors.reset(slot)
    this.autoGaps.reset(slot)
    this.points?.reset(slot)
    this.observer?.reset(slot, lane)
    if (lane.learn !== undefined) {
      let baseline: Model | undefined
      try {
        baseline = this.baselines?.load(machineId, lane.profile)
      } catch (err) {
        this.stats.baselinesRefused++
        this.sink.baselineRefused?.(machineId, lane.profile, err as Error)
      }
      if (baseline !== undefined) {
        this.learned[slot] = baseline
        this.alerts.reset(slot, LEARNED_WARMUP_READINGS)
        this.stats.baselinesLoaded++
      } else {
        this.startLearning(slot, lane, machineId)
      }
    }
    this.sink.tracked(this.stateOf(slot, ts))
  }

  private startLearning (slot: number, lane: ProfileLane, machineId: string): void {
    const goal = lane.learn
    if (goal === undefined) return
    this.learned[slot] = undefined
    this.progressStep[slot] = 0
    this.learning.start(slot, machineId, goal.readings ?? DURATION_ONLY_ROWS, lane.extractor.size)
  }

  /**
   * Starts relearning every learned machine (or the one named): each keeps scoring with its baseline while
   * its normal readings, as many as its profile's learning goal, make the next one, which then replaces
   * it (and is saved). Returns the machines that started.
   */
  relearn (machineId?: string): number {
    let started = 0
    const table = this.machines
    for (let slot = 0; slot < table.size; slot++) {
      const id = table.ids[slot]
      if (id === undefined || (machineId !== undefined && id !== machineId)) continue
      const lane = this.lanes[this.laneOf[slot]]
      const goal = lane.learn
      if (goal === undefined || this.learned[slot] === undefined || this.learning.isRelearning(slot)) continue
      this.learning.start(slot, id, goal.readings ?? DURATION_ONLY_ROWS, lane.extractor.size, true)
      started++
    }
    return started
  }

  /** A reading of a learning machine: counted, its row kept once the window is full, the baseline trained at the goal. */
  private learn (slot: number, lane: ProfileLane, machineId: string, ts: number, windowFull: boolean): Outcome {
    this.stats.learning++
    this.observer?.scored(slot, ts, lane.values, NaN)
    if (this.points !== undefined) this.sink.line(this.points.telemetry(slot, machineId, lane, '', 0, lane.values, ts))
    if (!this.collect(slot, lane, machineId, ts, windowFull)) {
      const step = Math.min(9, Math.floor(this.progressOf(slot, lane, ts) / PROGRESS_STEP))
      if (step > this.progressStep[slot]) {
        this.progressStep[slot] = step
        this.sink.state?.(this.stateOf(slot, ts))
      }
    }
    return 'learning'
  }

  /**
   * Adds a reading to a slot's learning data (its row once the window is full: rows of a part-filled
   * window describe a window, not the machine); at the goal, trains the baseline and returns true.
   */
  private collect (slot: number, lane: ProfileLane, machineId: string, ts: number, windowFull: boolean): boolean {
    const learning = this.learning
    learning.count(slot, ts)
    if (windowFull) learning.addRow(slot, lane.features)
    if (this.progressOf(slot, lane, ts) < 1 || learning.heldOf(slot) === 0) return false
    this.finishLearning(slot, lane, machineId, ts)
    return true
  }

  /** Share of a learning slot's goal reached: readings and duration, whichever is further behind. */
  private progressOf (slot: number, lane: ProfileLane, ts: number): number {
    const goal = lane.learn
    if (goal === undefined || this.learning.active[slot] === 0) return 1
    let progress = 1
    if (goal.readings !== undefined) progress = Math.min(progress, this.learning.heldOf(slot) / goal.readings)
    if (goal.durationMs !== undefined) {
      const start = this.learning.startTs[slot]
      progress = Math.min(progress, Number.isNaN(start) ? 0 : (ts - start) / goal.durationMs)
    }
    return Math.max(0, progress)
  }

  /** Share of the learning goal a learning machine has reached, as of its last reading; NaN when it does not learn. */
  learningProgress (slot: number): number {
    if (!this.learning.isLearning(slot)) return NaN
    return Math.min(1, this.progressOf(slot, this.lanes[this.laneOf[slot]], this.machines.lastTs[slot]))
  }

  private finishLearning (slot: number, lane: ProfileLane, machineId: string, ts: number): void {
    const learning = this.learning
    const relearnt = learning.isRelearning(slot)
    const rows = learning.rowsOf(slot).slice()
    let model: Model
    try {
      model = this.learnBaseline(machineId, lane, rows, ts)
    } catch (err) {
      // Learning data the forest cannot use (e.g. every row alike): learn again from fresh readings.
      this.stats.learnFailures++
      this.sink.baselineRefused?.(machineId, lane.profile, err as Error)
      // A relearning machine keeps the baseline it has; a new one learns again from fresh readings.
      if (relearnt) learning.stop(slot)
      else this.startLearning(slot, lane, machineId)
      return
    }
    learning.stop(slot)
    this.learned[slot] = model
    if (relearnt) this.stats.baselinesRelearned++
    else this.stats.baselinesLearned++
    this.alerts.reset(slot, LEARNED_WARMUP_READINGS)
    this.points?.reset(slot)
    this.sink.learned?.(machineId, lane.profile, model)
    this.sink.state?.(this.stateOf(slot, ts))
  }

  private learnBaseline (machineId: string, lane: ProfileLane, rows: Float64Array, learnedAt: number): Model {
    if (this.baselines === undefined) throw new Error('no baseline learner configured')
    return this.baselines.learn(machineId, lane.profile, lane.extractor.spec, rows, learnedAt)
  }

  private emitEvent (slot: number, lane: ProfileLane, model: Model, machineId: string, ts: number, seq: number, score: number, raised: boolean, sensorFault: boolean): void {
    const table = this.machines
    if (raised) this.stats.raised++
    else this.stats.cleared++
    model.contributions(lane.features, lane.contributions)
    const info = lane.extractor.info
    const features: FeatureContribution[] = []
    for (let f = 0; f < info.length; f++) {
      features.push({ name: info[f].name, unit: info[f].unit, value: lane.features[f], contribution: lane.contributions[f] })
    }
    features.sort((a, b) => b.contribution - a.contribution)
    const window = table.windows[slot]
    const span = window !== undefined ? lane.extractor.windowSpan(window) : { from: ts, to: ts }
    const event: AnomalyEvent = {
      machineId,
      ts,
      seq,
      state: raised ? 'raised' : 'cleared',
      kind: sensorFault ? 'sensor_fault' : 'process',
      severity: sensorFault ? 'warning' : this.alerts.severityOf(slot),
      score,
      threshold: model.threshold,
      modelVersion: model.version,
      profile: lane.profileName,
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
      event.calibration = { smoothedScore: alerts.smoothed[slot], baseline: alerts.baseline[slot], margin: alerts.marginOf(slot) }
    }
    if (sensorFault) {
      const signal = this.sensors.signalOf(slot)
      if (signal >= 0) event.signal = lane.profile.signalNames[signal]
      event.fault = this.sensors.faultOf(slot)
    }
    this.sink.anomaly(event, this.stateOf(slot, ts))
    if (this.points !== undefined) this.sink.line(this.points.event(slot, lane, event))
  }

  /** The retained state of a tracked machine. */
  stateOf (slot: number, ts: number): MachineState {
    const table = this.machines
    const lane = this.lanes[this.laneOf[slot]]
    const machineId = table.ids[slot] as string
    const model = lane.model ?? this.learned[slot]
    if (model === undefined) {
      const goal = lane.learn
      return {
        machineId,
        ts,
        state: 'learning',
        profile: lane.profileName,
        learning: { readings: this.learning.heldOf(slot), of: goal?.readings ?? 0, progress: Math.min(1, this.progressOf(slot, lane, ts)) }
      }
    }
    return {
      machineId,
      ts,
      state: this.alerts.isRaised(slot) ? 'anomalous' : 'normal',
      profile: lane.profileName,
      score: this.alerts.lastScore[slot],
      threshold: model.threshold,
      modelVersion: model.version
    }
  }

  private reject (topic: string, topicId: string | undefined, payload: Uint8Array, reason: RejectedMessage['reason'], detail: string): void {
    const text = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, REJECTED_PAYLOAD_CHARS * 4)).toString('utf8')
    this.report(topicId ?? '', topic, reason, detail, text.length > REJECTED_PAYLOAD_CHARS ? text.slice(0, REJECTED_PAYLOAD_CHARS) : text)
  }

  /** Counts a rejected reading and tells the sink why (a row of a file has no topic and no payload text). */
  private report (machineId: string, topic: string, reason: RejectedMessage['reason'], detail: string, payload: string): void {
    this.stats.rejected++
    this.stats.rejectedByReason[reason]++
    this.sink.rejected({ machineId, topic, ts: Date.now(), reason, detail, payload })
  }
}

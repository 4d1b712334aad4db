import { DETECTOR_DEFAULTS } from '../defaults.js'
import type { SensorFault } from '@factory-edge/shared/contract'

/** Codes of the sensor faults as stored per slot; 0 is none. */
export const FAULT_CODES: readonly SensorFault[] = ['stuck', 'spike', 'drift', 'dropout']
const NONE = 0
const STUCK = 1
const SPIKE = 2
const DRIFT = 3
const DROPOUT = 4

/** What one reading did to a machine's sensor-fault alert. */
export type SensorFaultChange = 'unchanged' | 'raised' | 'cleared'

export interface SensorCheckOptions {
  /** A spike is a step in and a step back out, each at least this many times the signal's usual step. */
  spikeSteps: number
  /**
   * Or, when the reading in between lay at least this far outside the model's training range (in
   * training standard deviations, summed over the features) and the next came back, a step in and out
   * of at least {@link excursionSteps} usual steps.
   */
  excursionExcess: number
  excursionSteps: number
  /**
   * Drift: a signal's recent level (an exponential average over about 10 readings) departs from its long
   * level (over about 200) by this many of its usual departures, while every other signal stays within
   * {@link driftQuietZ} of its own: one sensor moving alone, against the physics that moves the others
   * with it when the machine changes.
   */
  driftZ: number
  /** A process alert is attributed to a drifting sensor when that one signal is this far out and the others are quiet. */
  driftAttributeZ: number
  driftQuietZ: number
  /** Readings of a signal before its usual departure is known. */
  driftWarmup: number
  /**
   * A signal is stuck when, at the rate it usually changes, this many equal readings in a row would
   * happen by chance less often than this (so a signal that often repeats needs a longer run).
   */
  stuckChance: number
  /** Never call fewer equal readings in a row stuck. */
  stuckMinReadings: number
  /** Readings missing in a row (a gap in sequence numbers) that make a dropout. */
  dropoutMissing: number
  /** Readings without new evidence after which the alert clears. */
  clearAfter: number
}

export const DEFAULT_SENSOR_CHECKS: Readonly<SensorCheckOptions> = DETECTOR_DEFAULTS.sensorChecks

/** Memory of the usual step size and change rate of a signal, in readings. */
const ALPHA = 0.01
/** Weights of a new reading in a signal's recent and long levels (drift). */
const DRIFT_RECENT = 0.1
const DRIFT_LONG = 0.005
/** Readings in a row a departure must last to count as a drift. */
const DRIFT_PERSISTENCE = 5
/** Readings of a signal before its usual step is known well enough to call a spike. */
const WARMUP = 50

/**
 * Rule-based sensor-fault detection per machine and signal (stuck, spike, dropout) and the sensor-fault
 * alert state of every machine slot: typed arrays indexed by the slot of the machine table (and signal),
 * so that a check allocates nothing. The evidence is the stream itself, not the model: a frozen value on
 * a signal that normally changes, a one-reading excursion far beyond the usual step that comes back, a
 * gap in sequence numbers.
 */
export class SensorChecks {
  readonly options: SensorCheckOptions
  /** Signals kept per slot: the most raw signals of any profile. */
  readonly width: number
  /** 1 while a slot's sensor-fault alert is up. */
  readonly active: Uint8Array
  /** Fault code of the current or last alert per slot (0: none yet). */
  readonly raisedFault: Uint8Array
  /** Index (in the profile's raw signals) of the raised alert's signal (unused for a dropout). */
  readonly raisedSignal: Uint8Array
  /** Readings since the last evidence, per slot. */
  readonly quiet: Uint32Array
  /** Set by {@link check} and {@link gap}: the fault and signal of the evidence just seen. */
  fault = NONE
  signal = 0
  private readonly seen: Uint32Array
  private readonly last: Float64Array
  private readonly beforeLast: Float64Array
  private readonly run: Uint32Array
  private readonly changeRate: Float64Array
  private readonly usualStep: Float64Array
  private readonly logStuckChance: number
  /** The model's training-range excess of each slot's previous reading. */
  private readonly rangeExcess: Float64Array
  /** Per slot and signal: recent and long levels, and the usual squared departure of one from the other. */
  private readonly recentLevel: Float64Array
  private readonly longLevel: Float64Array
  private readonly departureVar: Float64Array
  /** Per slot and signal: readings in a row departed at the attribution level, in one direction (signed). */
  private readonly departedRun: Int16Array
  /** Per slot: the one signal departing alone at the attribution level, or -1. */
  private readonly loneDrift: Int8Array

  constructor (capacity: number, options: Partial<SensorCheckOptions> = {}, width: number) {
    this.options = { ...DEFAULT_SENSOR_CHECKS, ...options }
    this.width = width
    const n = capacity * width
    this.active = new Uint8Array(capacity)
    this.raisedFault = new Uint8Array(capacity)
    this.raisedSignal = new Uint8Array(capacity)
    this.quiet = new Uint32Array(capacity)
    this.seen = new Uint32Array(capacity)
    this.last = new Float64Array(n)
    this.beforeLast = new Float64Array(n)
    this.run = new Uint32Array(n)
    this.changeRate = new Float64Array(n)
    this.usualStep = new Float64Array(n)
    this.logStuckChance = Math.log(this.options.stuckChance)
    this.rangeExcess = new Float64Array(capacity)
    this.recentLevel = new Float64Array(n)
    this.longLevel = new Float64Array(n)
    this.departureVar = new Float64Array(n)
    this.departedRun = new Int16Array(n)
    this.loneDrift = new Int8Array(capacity).fill(-1)
  }

  /** Forgets a slot's history (the slot now holds another machine, or its stream restarted). */
  reset (slot: number): void {
    const s = this.width
    this.active[slot] = 0
    this.raisedFault[slot] = NONE
    this.quiet[slot] = 0
    this.seen[slot] = 0
    this.run.fill(0, slot * s, (slot + 1) * s)
    this.changeRate.fill(0, slot * s, (slot + 1) * s)
    this.usualStep.fill(0, slot * s, (slot + 1) * s)
    this.rangeExcess[slot] = 0
    this.departureVar.fill(0, slot * s, (slot + 1) * s)
    this.departedRun.fill(0, slot * s, (slot + 1) * s)
    this.loneDrift[slot] = -1
  }

  /** True while the machine in `slot` has a sensor-fault alert up. */
  isRaised (slot: number): boolean {
    return this.active[slot] === 1
  }

  /** The fault of the current (or last) alert of a slot. */
  faultOf (slot: number): SensorFault {
    return FAULT_CODES[this.raisedFault[slot] - 1]
  }

  /**
   * Index of the signal of the current (or last) alert of a slot, in its profile's raw signals; -1 for a
   * dropout (the whole reading went missing).
   */
  signalOf (slot: number): number {
    return this.raisedFault[slot] === DROPOUT ? -1 : this.raisedSignal[slot]
  }

  /** Records `missing` readings skipped before the newest one (by sequence number); true when that is a dropout. */
  gap (missing: number): boolean {
    if (missing < this.options.dropoutMissing) return false
    this.fault = DROPOUT
    this.signal = 0
    return true
  }

  /**
   * Checks the first `count` values (the profile's raw signals) of the machine's newest reading; true
   * when they are evidence of a sensor fault ({@link fault} and {@link signal} say which). A missing
   * optional signal (NaN) is no evidence either way and leaves its history as it was.
   */
  check (slot: number, values: Float64Array, count: number, rangeExcess = 0): boolean {
    const o = this.options
    const base = slot * this.width
    const seen = this.seen[slot]
    if (seen < 0xffffffff) this.seen[slot] = seen + 1
    // The previous reading lay far outside the model's training range and this one is back: on a signal
    // whose healthy steps are large (AI4I draws speed and torque afresh per product) the step alone cannot
    // tell a spike, but a healthy reading does not leave the range of everything the model has seen.
    const previousExcess = this.rangeExcess[slot]
    this.rangeExcess[slot] = rangeExcess
    const excursion = previousExcess >= o.excursionExcess && rangeExcess < previousExcess / 2
    let spikeRatio = 0
    let spikeSignal = -1
    let outCount = 0
    let movedCount = 0
    let outSignal = -1
    let outZ = 0
    let found = false
    for (let i = 0; i < count; i++) {
      const j = base + i
      const x = values[i]
      if (Number.isNaN(x)) continue
      // A signal's first value (run 0: never seen since the slot's reset) starts its history.
      if (this.run[j] === 0) {
        this.last[j] = x
        this.run[j] = 1
        this.recentLevel[j] = this.longLevel[j] = x
        continue
      }
      const last = this.last[j]
      const step = Math.abs(x - last)
      const usual = this.usualStep[j]
      if (seen >= WARMUP) {
        const stepIn = last - this.beforeLast[j]
        const stepOut = last - x
        const smaller = Math.min(Math.abs(stepIn), Math.abs(stepOut))
        // The previous reading left in one direction and this one came back most of the way.
        if (stepIn * stepOut > 0 && Math.abs(x - this.beforeLast[j]) < 0.5 * smaller) {
          const ratio = smaller / usual
          if ((ratio > o.spikeSteps || (excursion && ratio > o.excursionSteps)) && ratio > spikeRatio) {
            spikeRatio = ratio
            spikeSignal = i
          }
        }
      }
      // Winsorised, so that a spike does not teach the signal that large steps are usual. The first
      // steps are averaged plainly (weight 1/n until it falls to ALPHA): an average that starts at zero
      // would take a young stream's ordinary steps for spikes.
      const weight = seen < 1 / ALPHA ? 1 / seen : ALPHA
      const capped = seen < WARMUP ? step : Math.min(step, o.spikeSteps * usual)
      this.usualStep[j] = usual + weight * (capped - usual)
      const changed = x !== last
      this.changeRate[j] += weight * ((changed ? 1 : 0) - this.changeRate[j])
      this.run[j] = changed ? 1 : this.run[j] + 1
      const run = this.run[j]
      // (1 - rate)^run below the chance: that many repeats are too unlikely for a working sensor.
      if (!found && run >= o.stuckMinReadings && run * Math.log(1 - this.changeRate[j]) <= this.logStuckChance) {
        found = true
        this.fault = STUCK
        this.signal = i
      }
      this.beforeLast[j] = last
      this.last[j] = x
      const z = this.departure(j, x, seen)
      const before = this.departedRun[j]
      const departedRun = this.departedRun[j] = z >= o.driftAttributeZ ? (before > 0 ? Math.min(before + 1, 1000) : 1) : z <= -o.driftAttributeZ ? (before < 0 ? Math.max(before - 1, -1000) : -1) : 0
      if (seen >= o.driftWarmup) {
        const a = Math.abs(z)
        if (a >= o.driftQuietZ) movedCount++
        // A drift lasts: a few large readings of a noisy signal move its recent level for a moment only.
        if (a >= o.driftAttributeZ && Math.abs(departedRun) >= DRIFT_PERSISTENCE) {
          outCount++
          outSignal = i
          outZ = a
        }
      }
    }
    const lone = outCount === 1 && movedCount === 1 ? outSignal : -1
    this.loneDrift[slot] = lone
    // A lone departure far enough, or one that goes on while this drift's alert is up, is evidence.
    if (!found && lone >= 0 && (outZ >= o.driftZ || (this.active[slot] === 1 && this.raisedFault[slot] === DRIFT && this.raisedSignal[slot] === lone))) {
      found = true
      this.fault = DRIFT
      this.signal = lone
    }
    if (!found && spikeSignal >= 0) {
      found = true
      this.fault = SPIKE
      this.signal = spikeSignal
    }
    return found
  }

  /**
   * Attributes a process alert about to be raised to a drifting sensor when one signal departs alone
   * from its long level (the others quiet): raises the drift alert instead and returns true.
   */
  attributeToDrift (slot: number): boolean {
    const lone = this.loneDrift[slot]
    if (lone < 0 || this.active[slot] === 1) return false
    this.active[slot] = 1
    this.quiet[slot] = 0
    this.raisedFault[slot] = DRIFT
    this.raisedSignal[slot] = lone
    return true
  }

  /** Updates a signal's recent and long levels with `x`; returns the departure of one from the other in usual departures. */
  private departure (j: number, x: number, seen: number): number {
    const longWeight = seen < 1 / DRIFT_LONG ? 1 / seen : DRIFT_LONG
    this.recentLevel[j] += DRIFT_RECENT * (x - this.recentLevel[j])
    this.longLevel[j] += longWeight * (x - this.longLevel[j])
    const d = this.recentLevel[j] - this.longLevel[j]
    const v = this.departureVar[j]
    const z = v > 0 ? d / Math.sqrt(v) : 0
    // Winsorised once known, so that a drift does not teach the signal that large departures are usual.
    const d2 = seen < this.options.driftWarmup ? d * d : Math.min(d * d, 9 * v)
    this.departureVar[j] = v + longWeight * (d2 - v)
    return z
  }

  /**
   * Updates the alert of a slot with the evidence of its newest reading (`evidence` true: {@link fault}
   * and {@link signal} hold it): raised at the first evidence, cleared after `clearAfter` readings without.
   */
  update (slot: number, evidence: boolean): SensorFaultChange {
    if (evidence) {
      this.quiet[slot] = 0
      if (this.active[slot] === 1) return 'unchanged'
      this.active[slot] = 1
      this.raisedFault[slot] = this.fault
      this.raisedSignal[slot] = this.signal
      return 'raised'
    }
    if (this.active[slot] === 0) return 'unchanged'
    if (++this.quiet[slot] < this.options.clearAfter) return 'unchanged'
    this.active[slot] = 0
    return 'cleared'
  }
}

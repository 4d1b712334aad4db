import type { GroundTruth, ProductType, ReadingValues } from '@factory-edge/shared/contract'
import type { Random } from '@factory-edge/shared/ml'
import { AI4I_FAILURE_COUNTS, FAILURE_MODES, KELVIN_OFFSET, isFailureMode, type FailureMode } from './physics/ai4i.js'
import { CycleEvent, MachineProcess } from './physics/process.js'
import { syntheticHumidity } from '@factory-edge/shared/data'
import { FailureEpisode, failureTargets, failureTiming } from './failures/machine-failure.js'
import { createSensorFault, FaultEffect, garbagePayload, SENSOR_FAULT_MODES, type SensorFaultEpisode, type SensorFaultMode } from './failures/sensor-fault.js'

/** One reading as it is published: °C, rounded like a real sensor reports. */
export interface Reading extends ReadingValues {
  ts: number
  seq: number
  productType: ProductType
}

export interface MachineOptions {
  /** Redraw readings that fall in a failure region (only injections fail); false = AI4I's own failure rates. */
  healthyOnly: boolean
  /** Chance per reading that a random machine failure starts. */
  failureProbability: number
  /** Chance per reading that a random sensor fault starts. */
  faultProbability: number
}

const FAILURE_WEIGHT_TOTAL = FAILURE_MODES.reduce((sum, m) => sum + AI4I_FAILURE_COUNTS[m], 0)
const REPLACES_TOOL: ReadonlySet<FailureMode> = new Set(['OSF', 'TWF'])

/**
 * A simulated machine: the healthy AI4I process, plus the failure and the sensor fault it is in, if any.
 * Each {@link step} takes one reading; ground-truth events it caused are queued in {@link truth}.
 */
export class SimulatedMachine {
  seq = 0
  readonly reading: Reading = { ts: 0, seq: 0, temperature: 0, airTemperature: 0, rpm: 0, torque: 0, toolWear: 0, humidity: 0, productType: 'L' }
  /** Ground truth produced by the last steps; the caller publishes and clears it. */
  readonly truth: GroundTruth[] = []
  /** The failure this reading belongs to (injected, or AI4I's own without healthyOnly), for labelled data. */
  label: FailureMode | undefined
  failure: FailureEpisode | undefined
  fault: SensorFaultEpisode | undefined
  private readonly process: MachineProcess
  private readonly humidityBase: number
  /** Scratch for the values in SI units before rounding, reused for every reading. */
  private readonly values = { airK: 0, processK: 0, rpm: 0, torque: 0, toolWear: 0 }
  private pendingFailure: FailureMode | undefined
  private pendingFault: SensorFaultMode | undefined
  private pendingFaultReadings: number | undefined

  constructor (
    readonly id: string,
    private readonly rng: Random,
    /** Separate stream for injections, so that injecting on one run does not change the physics of the next readings. */
    private readonly eventRng: Random,
    private readonly options: MachineOptions
  ) {
    this.process = new MachineProcess(rng, options.healthyOnly)
    this.humidityBase = rng.uniform(35, 55)
  }

  /** Starts a machine failure or a sensor fault with the next reading. */
  inject (mode: FailureMode | SensorFaultMode, readings?: number): void {
    if (isFailureMode(mode)) this.injectFailure(mode)
    else this.injectFault(mode, readings)
  }

  /** A garbage payload from this machine's event stream (deterministic for the seed). */
  garbage (): Buffer {
    return garbagePayload(this.eventRng)
  }

  /** Starts a machine failure with the next reading (ending the current one, if any). */
  injectFailure (mode: FailureMode): void {
    this.pendingFailure = mode
  }

  /** Starts a sensor fault with the next reading; `readings` overrides its default length. */
  injectFault (mode: SensorFaultMode, readings?: number): void {
    this.pendingFault = mode
    this.pendingFaultReadings = readings
  }

  /** Takes the next reading at time `ts` into {@link reading} and says how it should go out. */
  step (ts: number): FaultEffect {
    const r = this.reading
    r.ts = ts
    r.seq = this.seq++
    this.updateEpisodes(ts, r.seq)

    const failure = this.failure
    if (failure !== undefined && failure.age === failure.timing.ramp + failure.timing.hold && REPLACES_TOOL.has(failure.mode)) {
      this.process.replaceToolNow()
    }
    const event = this.process.step()
    const p = this.process
    const v = this.values
    v.airK = p.airK
    v.processK = p.processK
    v.rpm = p.rpm
    v.torque = p.torque
    v.toolWear = p.toolWear
    failure?.apply(v, this.rng)
    r.temperature = round2(v.processK - KELVIN_OFFSET)
    r.airTemperature = round2(v.airK - KELVIN_OFFSET)
    r.rpm = Math.round(v.rpm)
    r.torque = round1(v.torque)
    r.toolWear = Math.round(v.toolWear)
    r.productType = p.productType
    r.humidity = syntheticHumidity(this.humidityBase, ts, this.rng)
    this.label = failure !== undefined ? failure.mode : event === CycleEvent.ToolFailure ? 'TWF' : event === CycleEvent.RandomFailure ? 'RNF' : undefined

    let effect = FaultEffect.Publish
    if (this.fault !== undefined) {
      effect = this.fault.apply(r, this.eventRng)
      r.temperature = round2(r.temperature)
      r.airTemperature = round2(r.airTemperature)
      r.rpm = Math.round(r.rpm)
      r.torque = round1(r.torque)
      r.humidity = round1(r.humidity)
      this.fault.age++
    }
    if (failure !== undefined) failure.age++
    return effect
  }

  /** Ends finished episodes and starts pending or random ones, queuing their ground truth. */
  private updateEpisodes (ts: number, seq: number): void {
    if (this.failure !== undefined && (this.failure.age >= this.failure.length || this.pendingFailure !== undefined)) {
      this.pushTruth(ts, seq, 'failure', this.failure.mode, 'end')
      this.failure = undefined
    }
    if (this.fault !== undefined && (this.fault.age >= this.fault.length || this.pendingFault !== undefined)) {
      this.pushTruth(ts, seq, 'sensor_fault', this.fault.mode, 'end')
      this.fault = undefined
    }
    const er = this.eventRng
    if (this.pendingFailure === undefined && this.failure === undefined && this.options.failureProbability > 0 && er.next() < this.options.failureProbability) {
      this.pendingFailure = drawFailureMode(er.next())
    }
    if (this.pendingFailure !== undefined) {
      const mode = this.pendingFailure
      this.pendingFailure = undefined
      this.failure = new FailureEpisode(mode, failureTargets(mode, er, this.process.toolWear), failureTiming(er))
      this.pushTruth(ts, seq, 'failure', mode, 'start')
    }
    if (this.pendingFault === undefined && this.fault === undefined && this.options.faultProbability > 0 && er.next() < this.options.faultProbability) {
      this.pendingFault = drawFaultMode(er.next())
    }
    if (this.pendingFault !== undefined) {
      const mode = this.pendingFault
      this.pendingFault = undefined
      this.fault = createSensorFault(mode, er, this.pendingFaultReadings)
      this.pendingFaultReadings = undefined
      this.pushTruth(ts, seq, 'sensor_fault', mode, 'start')
    }
  }

  private pushTruth (ts: number, seq: number, kind: GroundTruth['kind'], mode: string, phase: GroundTruth['phase']): void {
    this.truth.push({ machineId: this.id, ts, seq, kind, mode, phase })
  }
}

/** Picks a failure mode with the frequencies of the published data. */
function drawFailureMode (u: number): FailureMode {
  let acc = 0
  for (const mode of FAILURE_MODES) {
    acc += AI4I_FAILURE_COUNTS[mode] / FAILURE_WEIGHT_TOTAL
    if (u < acc) return mode
  }
  return 'RNF'
}

function drawFaultMode (u: number): SensorFaultMode {
  return SENSOR_FAULT_MODES[Math.min(SENSOR_FAULT_MODES.length - 1, Math.floor(u * SENSOR_FAULT_MODES.length))]
}

function round1 (x: number): number {
  return Math.round(x * 10) / 10
}

function round2 (x: number): number {
  return Math.round(x * 100) / 100
}

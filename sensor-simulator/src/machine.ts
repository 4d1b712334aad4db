import { telemetryOf, type ProductType, type ReadingValues } from '@factory-edge/shared/contract'
import type { Random } from '@factory-edge/shared/ml'
import { AI4I_FAILURE_COUNTS, FAILURE_MODES, KELVIN_OFFSET, isFailureMode, type FailureMode } from './physics/ai4i.js'
import { CycleEvent, MachineProcess } from './physics/process.js'
import { syntheticHumidity } from '@factory-edge/shared/data'
import { FailureEpisode, failureTargets, failureTiming } from './failures/machine-failure.js'
import { AI4I_FAULTY_SIGNALS, FaultEffect } from './failures/sensor-fault.js'
import { drawWeighted, MachineBase, round, type FlatTelemetry, type MachineOptions } from './machine-base.js'
import { encodeTelemetry } from './payload.js'

export type { MachineOptions } from './machine-base.js'

/** One reading as it is published: °C, rounded like a real sensor reports. */
export interface Reading extends ReadingValues {
  ts: number
  seq: number
  productType: ProductType
}

const REPLACES_TOOL: ReadonlySet<FailureMode> = new Set(['OSF', 'TWF'])

/**
 * A simulated AI4I 2020 machine: the healthy AI4I process, plus the failure and the sensor fault it is
 * in, if any.
 */
export class SimulatedMachine extends MachineBase<FailureMode, FailureEpisode> {
  readonly kind = 'ai4i'
  readonly reading: Reading = { ts: 0, seq: 0, temperature: 0, airTemperature: 0, rpm: 0, torque: 0, toolWear: 0, humidity: 0, productType: 'L' }
  private readonly process: MachineProcess
  private readonly humidityBase: number
  /** Scratch for the values in SI units before rounding, reused for every reading. */
  private readonly values = { airK: 0, processK: 0, rpm: 0, torque: 0, toolWear: 0 }

  constructor (id: string, rng: Random, eventRng: Random, options: MachineOptions) {
    super(id, rng, eventRng, options, AI4I_FAULTY_SIGNALS)
    this.process = new MachineProcess(rng, options.healthyOnly)
    this.humidityBase = rng.uniform(35, 55)
  }

  isFailureMode (mode: string): mode is FailureMode {
    return isFailureMode(mode)
  }

  step (ts: number): FaultEffect {
    this.startReading(ts)
    const r = this.reading
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
    r.temperature = round(v.processK - KELVIN_OFFSET, 100)
    r.airTemperature = round(v.airK - KELVIN_OFFSET, 100)
    r.rpm = Math.round(v.rpm)
    r.torque = round(v.torque, 10)
    r.toolWear = Math.round(v.toolWear)
    r.productType = p.productType
    r.humidity = syntheticHumidity(this.humidityBase, ts, this.rng)
    this.label = failure !== undefined ? failure.mode : event === CycleEvent.ToolFailure ? 'TWF' : event === CycleEvent.RandomFailure ? 'RNF' : undefined

    let effect = FaultEffect.Publish
    if (this.fault !== undefined) {
      effect = this.applyFault(r as unknown as Record<string, unknown>)
      r.temperature = round(r.temperature, 100)
      r.airTemperature = round(r.airTemperature, 100)
      r.rpm = Math.round(r.rpm)
      r.torque = round(r.torque, 10)
      r.humidity = round(r.humidity, 10)
    }
    if (failure !== undefined) failure.age++
    return effect
  }

  encode (nanField?: string): string {
    return encodeTelemetry(this.id, this.reading, nanField)
  }

  telemetry (): FlatTelemetry {
    return telemetryOf(this.id, this.reading) as unknown as FlatTelemetry
  }

  protected startFailure (mode: FailureMode): FailureEpisode {
    const er = this.eventRng
    return new FailureEpisode(mode, failureTargets(mode, er, this.process.toolWear), failureTiming(er))
  }

  /** Picks a failure mode with the frequencies of the published data. */
  protected drawFailureMode (u: number): FailureMode {
    return drawWeighted(FAILURE_MODES, AI4I_FAILURE_COUNTS, u)
  }
}

import type { Random } from '@factory-edge/shared/ml'
import { PumpProcess, type PumpValues } from './physics/pump.js'
import { isPumpFailureMode, PUMP_FAILURE_MODES, PUMP_FAILURE_WEIGHTS, PumpFailureEpisode, startPumpFailure, type PumpFailureMode } from './failures/pump-failure.js'
import { FaultEffect, type FaultySignal } from './failures/sensor-fault.js'
import { drawWeighted, MachineBase, round, type FlatTelemetry, type MachineOptions } from './machine-base.js'
import { encodeFields, PayloadFields } from './payload.js'

/** A signal of the pump's payload: unit, physical range (that of config/profiles.yaml) and resolution. */
export interface PumpSignal {
  name: keyof PumpValues
  unit: string
  min: number
  max: number
  /** Values are rounded to 1/scale, as the transmitter reports them. */
  scale: number
  description: string
  /** Height of a sensor-fault spike and drift per reading, in the signal's unit. */
  spike: number
  drift: number
}

/** One pump reading as published. */
export interface PumpReading extends PumpValues {
  ts: number
  seq: number
}

/**
 * The pump's signals in payload order. The ranges are what the sensors can physically report, wide
 * enough for every failure and sensor fault the simulator injects (faults are clamped to them), and
 * equal to those of the `pump` profile in config/profiles.yaml (a test checks both).
 */
export const PUMP_SIGNALS: readonly PumpSignal[] = [
  { name: 'flow', unit: 'm³/h', min: 0, max: 300, scale: 10, description: 'Volume flow at the discharge (magnetic flow meter)', spike: 60, drift: 0.3 },
  { name: 'suctionPressure', unit: 'bar', min: -1, max: 10, scale: 100, description: 'Suction pressure (gauge)', spike: 1.5, drift: 0.005 },
  { name: 'dischargePressure', unit: 'bar', min: 0, max: 25, scale: 100, description: 'Discharge pressure (gauge)', spike: 4, drift: 0.02 },
  { name: 'motorCurrent', unit: 'A', min: 0, max: 100, scale: 10, description: 'Motor current (drive output)', spike: 25, drift: 0.1 },
  { name: 'speed', unit: 'rpm', min: 0, max: 3600, scale: 1, description: 'Shaft speed (drive feedback)', spike: 800, drift: 3 },
  { name: 'vibration', unit: 'mm/s', min: 0, max: 50, scale: 100, description: 'Vibration velocity RMS at the drive-end bearing', spike: 8, drift: 0.03 },
  { name: 'bearingTemperature', unit: '°C', min: -20, max: 150, scale: 10, description: 'Drive-end bearing temperature', spike: 30, drift: 0.1 }
]

const [FLOW, SUCTION, DISCHARGE, CURRENT, SPEED, VIBRATION, BEARING] = PUMP_SIGNALS
const FIELDS = new PayloadFields(PUMP_SIGNALS.map((s) => s.name))

/** A value as the transmitter reports it: at its resolution, and at the end of its range when beyond it. */
function report (v: number, s: PumpSignal): number {
  const x = round(v, s.scale)
  return x < s.min ? s.min : x > s.max ? s.max : x
}
/** Every pump signal can have a faulty sensor, reading high or low. */
const FAULTY: readonly FaultySignal[] = PUMP_SIGNALS.map((s) => ({ name: s.name, spike: s.spike, drift: s.drift, min: s.min, max: s.max, eitherWay: true }))

/** A simulated centrifugal pump: the healthy process of {@link PumpProcess}, its failures and sensor faults. */
export class PumpMachine extends MachineBase<PumpFailureMode, PumpFailureEpisode> {
  readonly kind = 'pump'
  readonly reading: PumpReading = { ts: 0, seq: 0, flow: 0, suctionPressure: 0, dischargePressure: 0, motorCurrent: 0, speed: 0, vibration: 0, bearingTemperature: 0 }
  private readonly process: PumpProcess

  constructor (id: string, rng: Random, eventRng: Random, options: MachineOptions) {
    super(id, rng, eventRng, options, FAULTY)
    this.process = new PumpProcess(rng, options.intervalMs / 1000)
  }

  isFailureMode (mode: string): mode is PumpFailureMode {
    return isPumpFailureMode(mode)
  }

  step (ts: number): FaultEffect {
    this.startReading(ts)
    const r = this.reading
    const failure = this.failure
    const p = this.process
    if (failure !== undefined) failure.apply(p.condition)
    else p.condition.reset()
    p.step()
    r.flow = p.flow
    r.suctionPressure = p.suctionPressure
    r.dischargePressure = p.dischargePressure
    r.motorCurrent = p.motorCurrent
    r.speed = p.speed
    r.vibration = p.vibration
    r.bearingTemperature = p.bearingTemperature
    this.label = failure?.mode
    const effect = this.applyFault(r as unknown as Record<string, unknown>)
    // Field by field rather than by name in a loop: plain property stores keep the hot path free of allocation.
    r.flow = report(r.flow, FLOW)
    r.suctionPressure = report(r.suctionPressure, SUCTION)
    r.dischargePressure = report(r.dischargePressure, DISCHARGE)
    r.motorCurrent = report(r.motorCurrent, CURRENT)
    r.speed = report(r.speed, SPEED)
    r.vibration = report(r.vibration, VIBRATION)
    r.bearingTemperature = report(r.bearingTemperature, BEARING)
    if (failure !== undefined) failure.age++
    return effect
  }

  encode (nanField?: string): string {
    return encodeFields(this.id, this.reading, FIELDS, nanField) + '}'
  }

  telemetry (): FlatTelemetry {
    return { machineId: this.id, ...this.reading }
  }

  protected startFailure (mode: PumpFailureMode): PumpFailureEpisode {
    return startPumpFailure(mode, this.eventRng, this.options.intervalMs)
  }

  protected drawFailureMode (u: number): PumpFailureMode {
    return drawWeighted(PUMP_FAILURE_MODES, PUMP_FAILURE_WEIGHTS, u)
  }
}

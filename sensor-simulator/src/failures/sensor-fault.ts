import type { Random } from '@factory-edge/shared/ml'

/** Faults of the sensor or its link rather than of the machine: the readings lie, the machine is fine. */
export const SENSOR_FAULT_MODES = ['stuck', 'spike', 'drift', 'dropout', 'nan', 'garbage'] as const
export type SensorFaultMode = typeof SENSOR_FAULT_MODES[number]

/** True when `mode` is a sensor fault mode. */
export function isSensorFaultMode (mode: string): mode is SensorFaultMode {
  return (SENSOR_FAULT_MODES as readonly string[]).includes(mode)
}

/** The reading fields a sensor fault can hit. */
export const FAULTY_SIGNALS = ['temperature', 'airTemperature', 'rpm', 'torque', 'humidity'] as const
export type FaultySignal = typeof FAULTY_SIGNALS[number]

/** Readings a fault lasts when the scenario does not say. */
export const DEFAULT_FAULT_READINGS: Readonly<Record<SensorFaultMode, number>> = {
  stuck: 30, spike: 5, drift: 60, dropout: 15, nan: 3, garbage: 3
}

/** Spike heights and drift per reading, per signal, in the signal's unit. */
const SPIKE: Readonly<Record<FaultySignal, number>> = { temperature: 35, airTemperature: 25, rpm: 2000, torque: 50, humidity: 35 }
const DRIFT: Readonly<Record<FaultySignal, number>> = { temperature: 0.25, airTemperature: 0.2, rpm: 12, torque: 0.5, humidity: 0.4 }

/** What a faulty sensor does to one reading. */
export const enum FaultEffect { Publish = 0, Drop = 1, NaN = 2, Garbage = 3 }

type Reading = Record<FaultySignal, number>

/** One sensor fault of one machine. */
export class SensorFaultEpisode {
  age = 0
  private stuckValue = Number.NaN

  constructor (
    readonly mode: SensorFaultMode,
    readonly signal: FaultySignal,
    readonly length: number,
    private readonly direction: 1 | -1
  ) {}

  /** Changes the reading in place and says how it goes out. */
  apply (reading: Reading, rng: Random): FaultEffect {
    const s = this.signal
    switch (this.mode) {
      case 'stuck':
        if (Number.isNaN(this.stuckValue)) this.stuckValue = reading[s]
        reading[s] = this.stuckValue
        return FaultEffect.Publish
      case 'spike':
        // The first reading always spikes, later ones now and then: an intermittent contact.
        if (this.age === 0 || rng.next() < 0.4) reading[s] = clampSignal(s, reading[s] + this.direction * SPIKE[s] * rng.uniform(0.8, 1.2))
        return FaultEffect.Publish
      case 'drift':
        reading[s] = clampSignal(s, reading[s] + this.direction * DRIFT[s] * (this.age + 1))
        return FaultEffect.Publish
      case 'dropout':
        return FaultEffect.Drop
      case 'nan':
        return FaultEffect.NaN
      case 'garbage':
        return FaultEffect.Garbage
    }
  }
}

/** Starts a fault on a randomly chosen signal; `readings` overrides the default duration. */
export function createSensorFault (mode: SensorFaultMode, rng: Random, readings?: number): SensorFaultEpisode {
  const signal = FAULTY_SIGNALS[rng.int(FAULTY_SIGNALS.length)]
  // Temperatures, speed and torque of a broken sensor read high; humidity either way.
  const direction = rng.next() < 0.5 && signal === 'humidity' ? -1 : 1
  return new SensorFaultEpisode(mode, signal, Math.max(1, readings ?? DEFAULT_FAULT_READINGS[mode]), direction)
}

/** Keeps faulty values inside the physical ranges of the telemetry schema: a fault lies, it does not break the contract. */
function clampSignal (s: FaultySignal, v: number): number {
  if (s === 'humidity') return v < 0 ? 0 : v > 100 ? 100 : v
  return v < 0 ? 0 : v
}

/** A payload that is not JSON: binary noise mixed with printable bytes, as from a bad serial line. */
export function garbagePayload (rng: Random): Buffer {
  const n = 16 + rng.int(112)
  const out = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) out[i] = rng.next() < 0.5 ? 32 + rng.int(95) : rng.int(256)
  // Never starts like a JSON object, so it can never happen to parse.
  out[0] = 0xfe
  return out
}

import type { Random } from '@factory-edge/shared/ml'

/** Faults of the sensor or its link rather than of the machine: the readings lie, the machine is fine. */
export const SENSOR_FAULT_MODES = ['stuck', 'spike', 'drift', 'dropout', 'nan', 'garbage'] as const
export type SensorFaultMode = typeof SENSOR_FAULT_MODES[number]

/** True when `mode` is a sensor fault mode. */
export function isSensorFaultMode (mode: string): mode is SensorFaultMode {
  return (SENSOR_FAULT_MODES as readonly string[]).includes(mode)
}

/** How a faulty sensor of one signal misbehaves, in the signal's unit. */
export interface FaultySignal {
  name: string
  /** Height of a spike. */
  spike: number
  /** Offset a drift adds per reading. */
  drift: number
  /** Faulty values are kept inside this range: a fault lies, it does not break the contract. */
  min: number
  max: number
  /** True when a broken sensor may read low as well as high. */
  eitherWay: boolean
}

/** The reading fields of the AI4I machines a sensor fault can hit. */
export const AI4I_FAULTY_SIGNALS: readonly FaultySignal[] = [
  { name: 'temperature', spike: 35, drift: 0.25, min: 0, max: Infinity, eitherWay: false },
  { name: 'airTemperature', spike: 25, drift: 0.2, min: 0, max: Infinity, eitherWay: false },
  { name: 'rpm', spike: 2000, drift: 12, min: 0, max: Infinity, eitherWay: false },
  { name: 'torque', spike: 50, drift: 0.5, min: 0, max: Infinity, eitherWay: false },
  { name: 'humidity', spike: 35, drift: 0.4, min: 0, max: 100, eitherWay: true }
]

/** Readings a fault lasts when the scenario does not say. */
export const DEFAULT_FAULT_READINGS: Readonly<Record<SensorFaultMode, number>> = {
  stuck: 30, spike: 5, drift: 60, dropout: 15, nan: 3, garbage: 3
}

/** What a faulty sensor does to one reading. */
export const enum FaultEffect { Publish = 0, Drop = 1, NaN = 2, Garbage = 3 }

/** One sensor fault of one machine. */
export class SensorFaultEpisode {
  age = 0
  private stuckValue = Number.NaN

  constructor (
    readonly mode: SensorFaultMode,
    readonly faulty: FaultySignal,
    readonly length: number,
    private readonly direction: 1 | -1
  ) {}

  /** The field the fault hits. */
  get signal (): string {
    return this.faulty.name
  }

  /** Changes the reading in place and says how it goes out. */
  apply (reading: Record<string, unknown>, rng: Random): FaultEffect {
    const s = this.faulty.name
    switch (this.mode) {
      case 'stuck':
        if (Number.isNaN(this.stuckValue)) this.stuckValue = reading[s] as number
        reading[s] = this.stuckValue
        return FaultEffect.Publish
      case 'spike':
        // The first reading always spikes, later ones now and then: an intermittent contact.
        if (this.age === 0 || rng.next() < 0.4) reading[s] = this.clamp(reading[s] as number + this.direction * this.faulty.spike * rng.uniform(0.8, 1.2))
        return FaultEffect.Publish
      case 'drift':
        reading[s] = this.clamp(reading[s] as number + this.direction * this.faulty.drift * (this.age + 1))
        return FaultEffect.Publish
      case 'dropout':
        return FaultEffect.Drop
      case 'nan':
        return FaultEffect.NaN
      case 'garbage':
        return FaultEffect.Garbage
    }
  }

  private clamp (v: number): number {
    const { min, max } = this.faulty
    return v < min ? min : v > max ? max : v
  }
}

/** Starts a fault on a randomly chosen signal of `signals`; `readings` overrides the default duration. */
export function createSensorFault (mode: SensorFaultMode, rng: Random, signals: readonly FaultySignal[], readings?: number): SensorFaultEpisode {
  const faulty = signals[rng.int(signals.length)]
  const direction = rng.next() < 0.5 && faulty.eitherWay ? -1 : 1
  return new SensorFaultEpisode(mode, faulty, Math.max(1, readings ?? DEFAULT_FAULT_READINGS[mode]), direction)
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

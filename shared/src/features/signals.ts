/**
 * Signals: per-reading values, raw or derived from one reading. Window features (mean, std, z, rate)
 * are computed over the recent values of a signal.
 */
import type { ReadingValues } from '../contract/sensor-fields.js'

export interface SignalDescription {
  unit: string
  description: string
}

/** A signal computed from a reading of type R (AI4I's named values by default, a profile's value vector otherwise). */
export interface SignalInfo<R = ReadingValues> extends SignalDescription {
  compute: (r: R) => number
}

/**
 * The signals features may be built from, by name. The built-in one is {@link SIGNALS} (AI4I); a sensor
 * profile builds its own from its signals and derived signals.
 */
export type SignalCatalog<R = ReadingValues> = Readonly<Record<string, SignalInfo<R>>>

/** Revolutions per minute to radians per second. */
export const RPM_TO_RAD_PER_S = (2 * Math.PI) / 60

/** Every signal a feature may be built from. */
export const SIGNALS = {
  temperature: { unit: '°C', description: 'Process temperature', compute: (r) => r.temperature },
  airTemperature: { unit: '°C', description: 'Air temperature', compute: (r) => r.airTemperature },
  rpm: { unit: 'rpm', description: 'Rotational speed (also the proxy for sound)', compute: (r) => r.rpm },
  torque: { unit: 'Nm', description: 'Torque', compute: (r) => r.torque },
  toolWear: { unit: 'min', description: 'Tool wear', compute: (r) => r.toolWear },
  humidity: { unit: '%', description: 'Relative humidity (synthetic)', compute: (r) => r.humidity },
  tempDelta: { unit: 'K', description: 'Process minus air temperature (heat dissipation)', compute: (r) => r.temperature - r.airTemperature },
  power: { unit: 'W', description: 'Mechanical power, torque times angular speed', compute: (r) => r.torque * r.rpm * RPM_TO_RAD_PER_S },
  strain: { unit: 'min·Nm', description: 'Tool strain, tool wear times torque (overstrain)', compute: (r) => r.toolWear * r.torque },
  // Heat leaves the part through the temperature difference and the airflow the spindle drives, so a
  // small difference at low speed (heat dissipation failure) is low on both at once.
  dissipation: { unit: 'K·rpm', description: 'Heat dissipation, process minus air temperature times rotational speed', compute: (r) => (r.temperature - r.airTemperature) * r.rpm }
} as const satisfies Record<string, SignalInfo>

export type SignalName = keyof typeof SIGNALS

/** True when `name` is a known signal. */
export function isSignalName (name: string): name is SignalName {
  return Object.prototype.hasOwnProperty.call(SIGNALS, name)
}

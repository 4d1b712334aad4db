import { FeatureSpecError } from '../errors.js'
import { SIGNALS, type SignalDescription } from './signals.js'

export { FeatureSpecError }

/** Statistics over a machine's window; `value` is the newest reading itself. */
export const STATISTICS = ['value', 'mean', 'std', 'z', 'rate'] as const
export type Statistic = typeof STATISTICS[number]

const STATISTIC_TEXT: Record<Statistic, string> = {
  value: 'newest value',
  mean: 'mean over the window',
  std: 'standard deviation over the window',
  z: 'z-score of the newest value against the window',
  rate: 'rate of change per reading over the window'
}

/** What the detector must compute for a model: stored in the model file, read by training and scoring alike. */
export interface FeatureSpec {
  /** Readings per machine window (window statistics use the newest `window` readings). */
  window: number
  /**
   * Time limit of the window in ms: when set, window statistics use only the readings at most this much
   * older than the newest one (a time-based window of at most `window` readings).
   */
  windowMs?: number
  /** Feature names: `<signal>` or `<signal>.<statistic>`, e.g. `power` or `rpm.z`. */
  features: string[]
}

export interface FeatureInfo {
  name: string
  /** A signal of the catalog the feature was described with (SIGNALS unless a profile's). */
  signal: string
  statistic: Statistic
  unit: string
  description: string
}

/** The original Python design's features: process temperature, rpm and humidity. */
export const ORIGINAL_FEATURES: FeatureSpec = { window: 1, features: ['temperature', 'rpm', 'humidity'] }

/** Default for new models; chosen by measurement (see docs/features.md and docs/quality.md). */
// One feature per AI4I failure mechanism rather than per rare state: heat dissipation as the product of
// the temperature difference and the speed (AI4I's HDF needs both low at once; a low difference alone is
// a slow, healthy drift), power, torque, overstrain (strain) and tool wear. Window statistics did not help
// (AI4I rows are separate products); the window is kept for the detector's event summaries.
export const DEFAULT_FEATURES: FeatureSpec = { window: 30, features: ['dissipation', 'power', 'torque', 'strain', 'toolWear'] }

/** Named feature sets accepted by `--features`. */
export const FEATURE_SETS: Record<string, FeatureSpec> = {
  default: DEFAULT_FEATURES,
  original: ORIGINAL_FEATURES,
  raw: { window: 1, features: ['airTemperature', 'temperature', 'rpm', 'torque', 'toolWear'] },
  physical: { window: 1, features: ['tempDelta', 'power', 'strain'] }
}

const MAX_WINDOW_MS = 30 * 24 * 3600 * 1000

/**
 * Parses one feature name over a catalog of signals (AI4I's by default, a profile's otherwise), or throws
 * a FeatureSpecError listing what is allowed.
 */
export function describeFeature (name: string, catalog: Readonly<Record<string, SignalDescription>> = SIGNALS): FeatureInfo {
  const dot = name.indexOf('.')
  const signal = dot === -1 ? name : name.slice(0, dot)
  const statistic = dot === -1 ? 'value' : name.slice(dot + 1)
  if (!Object.prototype.hasOwnProperty.call(catalog, signal)) {
    throw new FeatureSpecError(`unknown signal "${signal}" in feature "${name}"; known signals: ${Object.keys(catalog).join(', ')}`)
  }
  if (!(STATISTICS as readonly string[]).includes(statistic)) {
    throw new FeatureSpecError(`unknown statistic "${statistic}" in feature "${name}"; known: ${STATISTICS.join(', ')}`)
  }
  const info = catalog[signal]
  const stat = statistic as Statistic
  const unit = stat === 'z' ? 'σ' : stat === 'rate' ? `${info.unit}/reading` : info.unit
  const description = stat === 'value' ? info.description : `${info.description}, ${STATISTIC_TEXT[stat]}`
  return { name, signal, statistic: stat, unit, description }
}

/**
 * Validates an untrusted feature specification (e.g. from a model file) over a catalog of signals (AI4I's
 * by default) and returns a clean copy.
 */
export function validateFeatureSpec (value: unknown, catalog: Readonly<Record<string, SignalDescription>> = SIGNALS): FeatureSpec {
  if (typeof value !== 'object' || value === null) throw new FeatureSpecError('feature specification must be an object')
  const { window, windowMs, features } = value as Record<string, unknown>
  if (windowMs !== undefined && (typeof windowMs !== 'number' || !Number.isInteger(windowMs) || windowMs < 1 || windowMs > MAX_WINDOW_MS)) {
    throw new FeatureSpecError(`feature windowMs must be an integer number of ms from 1 to ${MAX_WINDOW_MS} (30 days), got ${JSON.stringify(windowMs)}`)
  }
  if (typeof window !== 'number' || !Number.isInteger(window) || window < 1 || window > 10000) {
    throw new FeatureSpecError(`feature window must be an integer from 1 to 10000, got ${JSON.stringify(window)}`)
  }
  if (!Array.isArray(features) || features.length === 0 || !features.every((f) => typeof f === 'string')) {
    throw new FeatureSpecError('features must be a non-empty list of feature names')
  }
  if (new Set(features).size !== features.length) throw new FeatureSpecError('features must not repeat')
  const infos = features.map((f: string) => describeFeature(f, catalog))
  if (window < 2 && infos.some((f) => f.statistic !== 'value')) {
    throw new FeatureSpecError('window statistics (mean, std, z, rate) need a window of at least 2 readings')
  }
  return windowMs === undefined ? { window, features: [...features] } : { window, windowMs, features: [...features] }
}

/**
 * Parses `--features`: a named set (`default`, `original`, `raw`, `physical`) or a comma-separated list of names,
 * optionally followed by `@<window>` (readings) or `@<window>/<seconds>s` (at most that many readings,
 * none older than that many seconds), e.g. `tempDelta,power,rpm.z@30` or `rpm.z,power.mean@60/30s`.
 */
export function parseFeatureSpec (text: string): FeatureSpec {
  const named = FEATURE_SETS[text]
  if (named !== undefined) return { window: named.window, features: [...named.features] }
  const at = text.lastIndexOf('@')
  const list = at === -1 ? text : text.slice(0, at)
  const features = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  const needsWindow = features.some((f) => f.includes('.'))
  if (at === -1) return validateFeatureSpec({ window: needsWindow ? DEFAULT_FEATURES.window : 1, features })
  const [count, time] = text.slice(at + 1).split('/')
  if (time === undefined) return validateFeatureSpec({ window: Number(count), features })
  const seconds = /^(\d+(?:\.\d+)?)s$/.exec(time)
  if (seconds === null) throw new FeatureSpecError(`window time "${time}" must be a number of seconds such as 30s`)
  return validateFeatureSpec({ window: Number(count), windowMs: Math.round(Number(seconds[1]) * 1000), features })
}

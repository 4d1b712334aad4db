/**
 * What a sensor profile declares, and the validation of one profile as read from a profiles file: every
 * mistake becomes one ProfileError naming the file, the profile, the key and what is allowed.
 */
import { ProfileError } from '../errors.js'
import { nearestOption } from '../runtime/config/suggest.js'
import type { TSchema } from '@sinclair/typebox'
import type { FeatureSpec } from '../features/spec.js'

export { ProfileError }

/** A signal sent in the telemetry payload, as a top-level number field of the same name. */
export interface SignalDefinition {
  name: string
  unit: string
  /** Physically possible range (inclusive): a value outside it is rejected as out_of_range. */
  min: number
  max: number
  /** When true a payload may leave the signal out; see docs/profiles.md for what happens then. */
  optional: boolean
  description: string
}

/** A signal computed from the others of the same reading by an expression (see expression.ts). */
export interface DerivedDefinition {
  name: string
  unit: string
  expression: string
  description: string
}

/** How a profile's machines are scored: a trained model file, or a baseline each machine learns. */
export type ModelPolicy =
  /** `file` undefined: the detector's `--model` (the built-in ai4i profile). */
  | { kind: 'file', file?: string }
  /** Learning ends when every given criterion is met; at least one is given. */
  | { kind: 'learn', readings?: number, durationMs?: number, trim?: number }

/** Alert settings a profile may set for its machines instead of the detector's. */
export interface ProfileAlert {
  /**
   * How far above its own baseline a machine's smoothed score must be to count as over (the detector's
   * `--alert-baseline-margin` for this profile's machines). A learned forest's scores spread more than
   * a trained model's, so a learning profile may need a wider margin; see docs/self-learning.md.
   */
  margin?: number
}

/** One validated profile, data only; {@link compileProfile} turns it into what the pipeline runs. */
export interface ProfileDefinition {
  name: string
  /** Where it was declared: a file path, or `built-in`. */
  source: string
  description: string
  /** Machine-id globs (picomatch syntax); the first profile with a matching glob covers a machine. */
  machines: string[]
  signals: SignalDefinition[]
  derived: DerivedDefinition[]
  /** The features, resolved (`auto` already expanded); `featuresAuto` records that it was `auto`. */
  features: FeatureSpec
  featuresAuto: boolean
  /** Gap that empties a machine's window: ms, `auto` (from the learning data), or undefined: the detector's `--gap-ms`. */
  gapMs: number | 'auto' | undefined
  model: ModelPolicy
  /** The profile's own alert settings; undefined ones are the detector's. */
  alert: ProfileAlert
  /**
   * Non-signal payload fields that are validated but not scored. Only built-in profiles have them (ai4i:
   * productType) and a profile that `extends` one keeps them; a file cannot declare any.
   */
  extraFields?: Record<string, TSchema>
}

/** Names of signals: usable in feature names (`<signal>.<statistic>`) and expressions. */
export const SIGNAL_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
/** Payload fields that are not signals, and the expression language's functions. */
export const RESERVED_NAMES: readonly string[] = ['machineId', 'ts', 'seq', 'productType', 'abs', 'sqrt']
/** Window of `features: auto` when the profile does not give one. */
export const AUTO_FEATURE_WINDOW = 30

export const PROFILE_KEYS = ['description', 'extends', 'machines', 'signals', 'derived', 'features', 'gapMs', 'model', 'learn', 'alert'] as const
export const SIGNAL_KEYS = ['unit', 'min', 'max', 'optional', 'description'] as const
export const DERIVED_KEYS = ['expr', 'unit', 'description'] as const
export const FEATURES_KEYS = ['names', 'window', 'windowMs'] as const
export const LEARN_KEYS = ['readings', 'duration', 'trim'] as const
export const ALERT_KEYS = ['margin'] as const

const MAX_WINDOW = 10000
const MAX_WINDOW_MS = 30 * 24 * 3600 * 1000
const MAX_LEARN_READINGS = 10_000_000
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Where a value sits, for error messages: file, profile and key path. */
export class ProfileLocation {
  constructor (readonly file: string, readonly profile: string | undefined, readonly key: string | undefined = undefined) {}

  at (key: string): ProfileLocation {
    return new ProfileLocation(this.file, this.profile, this.key === undefined ? key : `${this.key}.${key}`)
  }

  error (problem: string): ProfileError {
    const where = [this.file, this.profile === undefined ? undefined : `profile "${this.profile}"`, this.key === undefined ? undefined : `key "${this.key}"`]
    return new ProfileError(`${where.filter((w) => w !== undefined).join(', ')}: ${problem}`)
  }
}

function shown (value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** Checks that `value` is a plain mapping whose keys are all allowed; an unknown key gets a "did you mean". */
export function checkMapping (value: unknown, at: ProfileLocation, allowed: readonly string[], what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw at.error(`${what} must be a mapping, got ${shown(value)}`)
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (allowed.includes(key)) continue
    const near = nearestOption(key, allowed)
    throw at.at(key).error(`unknown key${near === undefined ? '' : ` (did you mean "${near}"?)`}; allowed: ${allowed.join(', ')}`)
  }
  return record
}

function checkString (value: unknown, at: ProfileLocation, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw at.error(`must be ${what}, got ${shown(value)}`)
  return value
}

function checkNumber (value: unknown, at: ProfileLocation): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw at.error(`must be a finite number, got ${shown(value)}`)
  return value
}

function checkInteger (value: unknown, at: ProfileLocation, min: number, max: number, unit: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw at.error(`must be an integer number of ${unit} from ${min} to ${max}, got ${shown(value)}`)
  }
  return value
}

/** `6h`, `30m`, `90s`, `2d`, `500ms` to milliseconds. */
export function parseDuration (value: unknown, at: ProfileLocation): number {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim()) : null
  const ms = match === null ? NaN : Math.round(Number(match[1]) * DURATION_UNITS[match[2]])
  if (!(ms >= 1)) throw at.error(`must be a duration such as "90s", "30m", "6h" or "2d" (units ms, s, m, h, d), got ${shown(value)}`)
  return ms
}

function checkSignalName (name: string, at: ProfileLocation, taken: ReadonlySet<string>): void {
  if (!SIGNAL_NAME_PATTERN.test(name)) throw at.error('a signal name must start with a letter or "_" and hold only letters, digits and "_" (at most 64)')
  if (RESERVED_NAMES.includes(name)) throw at.error(`"${name}" is reserved (${RESERVED_NAMES.join(', ')})`)
  if (taken.has(name)) throw at.error(`"${name}" is already a signal of this profile`)
}

function checkMachines (value: unknown, at: ProfileLocation): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) throw at.error(`must be a machine-id glob such as "pump-*" or a non-empty list of them, got ${shown(value)}`)
  return list.map((glob, i) => checkString(glob, typeof value === 'string' ? at : at.at(String(i)), 'a machine-id glob such as "pump-*"'))
}

function checkSignals (value: unknown, at: ProfileLocation): SignalDefinition[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0) {
    throw at.error(`must be a mapping of signal name to { unit, min, max, optional }, got ${shown(value)}`)
  }
  const taken = new Set<string>()
  const signals: SignalDefinition[] = []
  for (const [name, spec] of Object.entries(value)) {
    const here = at.at(name)
    checkSignalName(name, here, taken)
    taken.add(name)
    const s = checkMapping(spec, here, SIGNAL_KEYS, 'a signal')
    for (const key of ['unit', 'min', 'max']) if (s[key] === undefined) throw here.at(key).error('is required')
    const unit = checkString(s.unit, here.at('unit'), 'a unit such as "bar" or "°C"')
    const min = checkNumber(s.min, here.at('min'))
    const max = checkNumber(s.max, here.at('max'))
    if (!(min < max)) throw here.at('max').error(`must be greater than min (${min}), got ${max}`)
    if (s.optional !== undefined && typeof s.optional !== 'boolean') throw here.at('optional').error(`must be true or false, got ${shown(s.optional)}`)
    const description = s.description === undefined ? name : checkString(s.description, here.at('description'), 'a text')
    signals.push({ name, unit, min, max, optional: s.optional === true, description })
  }
  return signals
}

function checkDerived (value: unknown, at: ProfileLocation, signals: readonly SignalDefinition[]): DerivedDefinition[] {
  if (value === undefined) return []
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw at.error(`must be a mapping of signal name to an expression or { expr, unit }, got ${shown(value)}`)
  }
  const taken = new Set(signals.map((s) => s.name))
  const derived: DerivedDefinition[] = []
  for (const [name, spec] of Object.entries(value)) {
    const here = at.at(name)
    checkSignalName(name, here, taken)
    taken.add(name)
    if (typeof spec === 'string') {
      derived.push({ name, unit: '', expression: checkString(spec, here, 'an expression'), description: name })
      continue
    }
    const d = checkMapping(spec, here, DERIVED_KEYS, 'a derived signal')
    if (d.expr === undefined) throw here.at('expr').error('is required: the expression, e.g. "flow * pressure / 36"')
    derived.push({
      name,
      unit: d.unit === undefined ? '' : checkString(d.unit, here.at('unit'), 'a unit'),
      expression: checkString(d.expr, here.at('expr'), 'an expression'),
      description: d.description === undefined ? name : checkString(d.description, here.at('description'), 'a text')
    })
  }
  return derived
}

/**
 * `features: auto`: the value and the window mean of every required signal and every derived signal,
 * the rule that did best of the candidates measured on the simulated pumps (docs/profiles.md, Features:
 * window standard deviations and rates jump at every change of set-point and raised most false alarms).
 * Optional signals are left out, so a reading without them is still scored.
 */
export function autoFeatures (signals: readonly SignalDefinition[], derived: readonly DerivedDefinition[]): string[] {
  return autoSignals(signals, derived).flatMap((n) => [n, `${n}.mean`])
}

/** The signals `features: auto` takes features of: every required signal and every derived signal. */
export function autoSignals (signals: readonly SignalDefinition[], derived: readonly DerivedDefinition[]): string[] {
  return [...signals.filter((s) => !s.optional).map((s) => s.name), ...derived.map((d) => d.name)]
}

/** Features as written in the file; names are checked against the signals when the profile is compiled. */
function checkFeatures (value: unknown, at: ProfileLocation, signals: readonly SignalDefinition[], derived: readonly DerivedDefinition[]): { spec: FeatureSpec, auto: boolean } {
  if (value === undefined || value === 'auto') return { spec: { window: AUTO_FEATURE_WINDOW, features: autoFeatures(signals, derived) }, auto: true }
  if (typeof value === 'string') throw at.error(`must be "auto" or a mapping { names, window, windowMs }, got ${shown(value)}`)
  const f = checkMapping(value, at, FEATURES_KEYS, '"features" ("auto" or { names, window, windowMs })')
  const auto = f.names === undefined || f.names === 'auto'
  let names: string[]
  if (auto) {
    names = autoFeatures(signals, derived)
  } else if (Array.isArray(f.names) && f.names.length > 0) {
    names = f.names.map((n, i) => checkString(n, at.at(`names.${i}`), 'a feature name such as "flow" or "flow.mean"'))
  } else {
    throw at.at('names').error(`must be "auto" or a non-empty list of feature names such as [flow, flow.mean, pressure.std], got ${shown(f.names)}`)
  }
  const window = f.window === undefined ? (auto || names.some((n) => n.includes('.')) ? AUTO_FEATURE_WINDOW : 1) : checkInteger(f.window, at.at('window'), 1, MAX_WINDOW, 'readings')
  const spec: FeatureSpec = { window, features: names }
  if (f.windowMs !== undefined) spec.windowMs = checkInteger(f.windowMs, at.at('windowMs'), 1, MAX_WINDOW_MS, 'ms')
  return { spec, auto }
}

function checkGap (value: unknown, at: ProfileLocation): number | 'auto' | undefined {
  if (value === undefined || value === 'auto') return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_WINDOW_MS) {
    throw at.error(`must be "auto" or an integer number of ms from 1 to ${MAX_WINDOW_MS}, got ${shown(value)}`)
  }
  return value
}

function checkModel (model: unknown, learn: unknown, at: ProfileLocation, inherited: ModelPolicy | undefined): ModelPolicy {
  if (model !== undefined && learn !== undefined) throw at.at('learn').error('a profile has either "model: FILE" (a trained model) or "learn: { readings, duration }" (a baseline per machine), not both')
  if (model !== undefined) return { kind: 'file', file: checkString(model, at.at('model'), 'the path of a model file') }
  if (learn === undefined) {
    if (inherited !== undefined) return inherited
    throw at.error('needs a model policy: "model: FILE" (a trained model shared by its machines) or "learn: { readings: N }" and/or "{ duration: 6h }" (a baseline per machine)')
  }
  const l = checkMapping(learn, at.at('learn'), LEARN_KEYS, '"learn" ({ readings, duration })')
  if (l.readings === undefined && l.duration === undefined) throw at.at('learn').error('needs "readings" (a number of readings) and/or "duration" (e.g. "6h")')
  const policy: ModelPolicy = { kind: 'learn' }
  if (l.readings !== undefined) policy.readings = checkInteger(l.readings, at.at('learn.readings'), 2, MAX_LEARN_READINGS, 'readings')
  if (l.duration !== undefined) policy.durationMs = parseDuration(l.duration, at.at('learn.duration'))
  if (l.trim !== undefined) {
    const trim = checkNumber(l.trim, at.at('learn.trim'))
    if (!(trim >= 0 && trim < 0.5)) throw at.at('learn.trim').error(`must be a share of the learning readings from 0 to below 0.5, got ${trim}`)
    policy.trim = trim
  }
  return policy
}

function checkAlert (alert: unknown, at: ProfileLocation, inherited: ProfileAlert | undefined): ProfileAlert {
  if (alert === undefined) return { ...inherited }
  const a = checkMapping(alert, at, ALERT_KEYS, '"alert" ({ margin })')
  const out: ProfileAlert = {}
  if (a.margin !== undefined) {
    const margin = checkNumber(a.margin, at.at('margin'))
    if (!(margin > 0 && margin < 1)) throw at.at('margin').error(`must be a score difference above 0 and below 1, got ${margin}`)
    out.margin = margin
  }
  return out
}

/**
 * Validates one profile as read from a file. `base` is the built-in profile it `extends`, whose values
 * fill the keys the file leaves out (signals and derived signals as a whole, not signal by signal).
 */
export function checkProfile (name: string, raw: unknown, file: string, builtIns: ReadonlyMap<string, ProfileDefinition>): ProfileDefinition {
  const at = new ProfileLocation(file, name)
  if (!SIGNAL_NAME_PATTERN.test(name)) throw at.error('a profile name must start with a letter or "_" and hold only letters, digits and "_" (at most 64)')
  const p = checkMapping(raw, at, PROFILE_KEYS, 'a profile')
  let base: ProfileDefinition | undefined
  if (p.extends !== undefined) {
    base = typeof p.extends === 'string' ? builtIns.get(p.extends) : undefined
    if (base === undefined) throw at.at('extends').error(`must name a built-in profile (${[...builtIns.keys()].join(', ')}), got ${shown(p.extends)}`)
  }
  if (p.machines === undefined && base === undefined) throw at.at('machines').error('is required: the machine ids the profile covers, e.g. "pump-*"')
  if (p.signals === undefined && base === undefined) throw at.at('signals').error('is required: name → { unit, min, max }')
  const machines = p.machines === undefined ? [...(base as ProfileDefinition).machines] : checkMachines(p.machines, at.at('machines'))
  const signals = p.signals === undefined ? (base as ProfileDefinition).signals : checkSignals(p.signals, at.at('signals'))
  const derived = p.derived === undefined && p.signals === undefined && base !== undefined ? base.derived : checkDerived(p.derived, at.at('derived'), signals)
  const inheritFeatures = p.features === undefined && p.signals === undefined && p.derived === undefined ? base : undefined
  const features = inheritFeatures !== undefined ? { spec: inheritFeatures.features, auto: inheritFeatures.featuresAuto } : checkFeatures(p.features, at.at('features'), signals, derived)
  return {
    name,
    source: file,
    description: p.description === undefined ? (base?.description ?? name) : checkString(p.description, at.at('description'), 'a text'),
    machines,
    signals,
    derived,
    features: features.spec,
    featuresAuto: features.auto,
    gapMs: p.gapMs === undefined ? (base === undefined ? 'auto' : base.gapMs) : checkGap(p.gapMs, at.at('gapMs')),
    model: checkModel(p.model, p.learn, at, base?.model),
    alert: checkAlert(p.alert, at.at('alert'), base?.alert),
    ...(base?.extraFields === undefined ? {} : { extraFields: base.extraFields })
  }
}

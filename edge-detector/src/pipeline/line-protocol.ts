import { MEASUREMENTS, TAGS } from '@factory-edge/shared/contract'

/**
 * InfluxDB line protocol for the detector's points, built as plain strings: machine ids, model versions
 * and feature names never need escaping (ids match MACHINE_ID_PATTERN, versions are hex, feature names
 * are `<signal>[.<statistic>]`), which keeps this off the generic, allocation-heavy Point class.
 */

/**
 * The tag set shared by a machine's points. Profile names match the profile-name pattern and need no
 * escaping either; an empty model version (a machine still learning) leaves the tag out, as line
 * protocol has no empty tag values.
 */
export function machineTags (machineId: string, profile: string, modelVersion: string): string {
  const version = modelVersion === '' ? '' : `,${TAGS.modelVersion}=${modelVersion}`
  return `${TAGS.machine}=${machineId},${TAGS.profile}=${profile}${version}`
}

/** `<signal>=` per raw signal of a profile, built once per profile. */
export function signalFieldKeys (signals: readonly string[]): string[] {
  return signals.map((name) => name + '=')
}

/** One raw reading: its first `keys.length` values, a missing optional signal (NaN) left out. */
export function telemetryLine (tags: string, keys: readonly string[], values: Float64Array, ts: number): string {
  let line = MEASUREMENTS.telemetry + ',' + tags
  let separator = ' '
  for (let f = 0; f < keys.length; f++) {
    const v = values[f]
    if (Number.isNaN(v)) continue
    line += separator + keys[f] + v
    separator = ','
  }
  return line + ' ' + ts
}

/** Field-key prefixes (`,name=`) for a model's features, computed once per model. */
export function featureFieldKeys (features: readonly string[]): string[] {
  return features.map((name) => `,${name.replace(/[ ,=\\]/g, (c) => `\\${c}`)}=`)
}

const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000']
const SCALE = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

/**
 * A number with at most `digits` (0-6) decimals, trailing zeros dropped. Integer arithmetic instead of
 * the shortest-round-trip conversion: about four times faster, and stored values need no 17 digits.
 */
export function formatDecimal (x: number, digits: number): string {
  const scale = SCALE[digits]
  const scaled = Math.round(x * scale)
  if (!(Math.abs(scaled) < 9e15)) return String(x)
  const negative = scaled < 0
  const abs = negative ? -scaled : scaled
  const int = Math.floor(abs / scale)
  let frac = abs - int * scale
  if (frac === 0) return negative && int !== 0 ? '-' + int : String(int)
  let width = digits
  while (frac % 10 === 0) {
    frac /= 10
    width--
  }
  const text = String(frac)
  return (negative ? '-' : '') + int + '.' + ZEROS[width - text.length] + text
}

/** Score-line field text that stays the same for a model: `,threshold=..`. */
export function thresholdField (threshold: number): string {
  return `,threshold=${formatDecimal(threshold, 6)}`
}

/** The score of one reading with its features (score at 6 decimals, features at 4). */
export function scoreLine (tags: string, ts: number, score: number, threshold: number, thresholdText: string, featureKeys: readonly string[], features: Float64Array): string {
  let line = MEASUREMENTS.score + ',' + tags + ' score=' + formatDecimal(score, 6) + thresholdText + (score > threshold ? ',anomalous=true' : ',anomalous=false')
  for (let f = 0; f < featureKeys.length; f++) line += featureKeys[f] + formatDecimal(features[f], 4)
  return line + ' ' + ts
}

/** A state change. */
export function eventLine (tags: string, ts: number, state: string, severity: string, kind: string, score: number, threshold: number, topFeature: string, fault?: string): string {
  const faultField = fault === undefined ? '' : `,fault=${JSON.stringify(fault)}`
  return `${MEASUREMENTS.event},${tags},${TAGS.state}=${state},${TAGS.severity}=${severity},${TAGS.kind}=${kind} score=${score},threshold=${threshold},top_feature=${JSON.stringify(topFeature)}${faultField} ${ts}`
}

/** The detector's own counters. */
export function detectorLine (detector: string, ts: number, fields: Record<string, number>): string {
  let line = `${MEASUREMENTS.detector},${TAGS.detector}=${detector.replace(/[ ,=\\]/g, (c) => `\\${c}`)} `
  let first = true
  for (const [k, v] of Object.entries(fields)) {
    line += `${first ? '' : ','}${k}=${Math.trunc(v)}i`
    first = false
  }
  return line + ' ' + ts
}

import { MEASUREMENTS, TAGS, type Telemetry } from '@factory-edge/shared'

/**
 * InfluxDB line protocol for the detector's points, built as plain strings: machine ids, model versions
 * and feature names never need escaping (ids match MACHINE_ID_PATTERN, versions are hex, feature names
 * are `<signal>[.<statistic>]`), which keeps this off the generic, allocation-heavy Point class.
 */

/** The tag set shared by a machine's points. */
export function machineTags (machineId: string, modelVersion: string): string {
  return `${TAGS.machine}=${machineId},${TAGS.modelVersion}=${modelVersion}`
}

/** One raw reading. */
export function telemetryLine (tags: string, r: Telemetry): string {
  return `${MEASUREMENTS.telemetry},${tags} temperature=${r.temperature},airTemperature=${r.airTemperature},rpm=${r.rpm},torque=${r.torque},toolWear=${r.toolWear},humidity=${r.humidity} ${r.ts}`
}

/** Field-key prefixes (`,name=`) for a model's features, computed once per model. */
export function featureFieldKeys (features: readonly string[]): string[] {
  return features.map((name) => `,${name.replace(/[ ,=\\]/g, (c) => `\\${c}`)}=`)
}

/** The score of one reading with its features. */
export function scoreLine (tags: string, ts: number, score: number, threshold: number, featureKeys: readonly string[], features: Float64Array): string {
  let line = `${MEASUREMENTS.score},${tags} score=${score},threshold=${threshold},anomalous=${score > threshold ? 'true' : 'false'}`
  for (let f = 0; f < featureKeys.length; f++) line += featureKeys[f] + features[f]
  return line + ' ' + ts
}

/** A state change. */
export function eventLine (tags: string, ts: number, state: string, severity: string, score: number, threshold: number, topFeature: string): string {
  return `${MEASUREMENTS.event},${tags},${TAGS.state}=${state},${TAGS.severity}=${severity} score=${score},threshold=${threshold},top_feature=${JSON.stringify(topFeature)} ${ts}`
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

import { SENSOR_FIELDS, type GroundTruth, type MachineStatus } from '@factory-edge/shared/contract'
import type { Reading } from './machine.js'

/**
 * Telemetry JSON in a fixed field order, built by hand: this is the hot path (tens of thousands per
 * second), and the output must be the same bytes for the same seed. Machine ids are validated against
 * the topic pattern, so they never need escaping. `nanField` writes that field as a bare NaN, as a
 * firmware printing floats with printf would: not JSON.
 */
export function encodeTelemetry (machineId: string, r: Reading, nanField?: string): string {
  let json = '{"machineId":"' + machineId + '","ts":' + r.ts + ',"seq":' + r.seq
  for (let f = 0; f < SENSOR_FIELDS.length; f++) {
    const field = SENSOR_FIELDS[f]
    json += SENSOR_KEYS[f] + (field === nanField ? 'NaN' : String(r[field]))
  }
  return json + ',"productType":"' + r.productType + '"}'
}

/** `,"<field>":` per sensor field, built once. */
const SENSOR_KEYS = SENSOR_FIELDS.map((field) => `,"${field}":`)

/** Ground-truth JSON in a fixed field order. */
export function encodeTruth (t: GroundTruth): string {
  return JSON.stringify({ machineId: t.machineId, ts: t.ts, seq: t.seq, kind: t.kind, mode: t.mode, phase: t.phase })
}

/** Status JSON (retained `online`, and the last will `offline`). */
export function encodeStatus (machineId: string, status: MachineStatus['status'], ts: number): string {
  return JSON.stringify({ machineId, status, ts })
}

import { SENSOR_FIELDS, type GroundTruth, type MachineStatus } from '@factory-edge/shared/contract'
import type { Reading } from './machine.js'

/**
 * Telemetry JSON in a fixed field order, built by hand: this is the hot path (tens of thousands per
 * second), and the output must be the same bytes for the same seed. Machine ids are validated against
 * the topic pattern, so they never need escaping. `nanField` writes that field as a bare NaN, as a
 * firmware printing floats with printf would: not JSON.
 */
export function encodeTelemetry (machineId: string, r: Reading, nanField?: string): string {
  return encodeFields(machineId, r, AI4I_FIELDS, nanField) + ',"productType":"' + r.productType + '"}'
}

/** The signal fields of a kind of machine, in payload order, with their `,"<field>":` keys built once. */
export class PayloadFields {
  readonly keys: readonly string[]
  constructor (readonly names: readonly string[]) {
    this.keys = names.map((field) => `,"${field}":`)
  }
}

const AI4I_FIELDS = new PayloadFields(SENSOR_FIELDS)

/** `{"machineId":…,"ts":…,"seq":…` and the signal fields of `r`, without the closing brace. */
export function encodeFields (machineId: string, r: { ts: number, seq: number }, fields: PayloadFields, nanField?: string): string {
  const values = r as unknown as Record<string, number>
  let json = '{"machineId":"' + machineId + '","ts":' + r.ts + ',"seq":' + r.seq
  const { names, keys } = fields
  for (let f = 0; f < names.length; f++) {
    const field = names[f]
    json += keys[f] + (field === nanField ? 'NaN' : String(values[field]))
  }
  return json
}

/** Ground-truth JSON in a fixed field order. */
export function encodeTruth (t: GroundTruth): string {
  return JSON.stringify({ machineId: t.machineId, ts: t.ts, seq: t.seq, kind: t.kind, mode: t.mode, phase: t.phase })
}

/** Status JSON (retained `online`, and the last will `offline`). */
export function encodeStatus (machineId: string, status: MachineStatus['status'], ts: number): string {
  return JSON.stringify({ machineId, status, ts })
}

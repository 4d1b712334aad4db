import type { GroundTruth, MachineStatus } from '@factory-edge/shared/contract'
import type { Reading } from './machine.js'

/**
 * Telemetry JSON in a fixed field order, built by hand: this is the hot path (tens of thousands per
 * second), and the output must be the same bytes for the same seed. Machine ids are validated against
 * the topic pattern, so they never need escaping. `nanField` writes that field as a bare NaN, as a
 * firmware printing floats with printf would: not JSON.
 */
export function encodeTelemetry (machineId: string, r: Reading, nanField?: string): string {
  const temperature = nanField === 'temperature' ? 'NaN' : String(r.temperature)
  const airTemperature = nanField === 'airTemperature' ? 'NaN' : String(r.airTemperature)
  const rpm = nanField === 'rpm' ? 'NaN' : String(r.rpm)
  const torque = nanField === 'torque' ? 'NaN' : String(r.torque)
  const humidity = nanField === 'humidity' ? 'NaN' : String(r.humidity)
  return '{"machineId":"' + machineId + '","ts":' + r.ts + ',"seq":' + r.seq +
    ',"temperature":' + temperature + ',"airTemperature":' + airTemperature + ',"rpm":' + rpm +
    ',"torque":' + torque + ',"toolWear":' + r.toolWear + ',"humidity":' + humidity +
    ',"productType":"' + r.productType + '"}'
}

/** Ground-truth JSON in a fixed field order. */
export function encodeTruth (t: GroundTruth): string {
  return JSON.stringify({ machineId: t.machineId, ts: t.ts, seq: t.seq, kind: t.kind, mode: t.mode, phase: t.phase })
}

/** Status JSON (retained `online`, and the last will `offline`). */
export function encodeStatus (machineId: string, status: MachineStatus['status'], ts: number): string {
  return JSON.stringify({ machineId, status, ts })
}

import { isUtf8 } from 'node:buffer'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { ValueErrorType } from '@sinclair/typebox/errors'
import { Telemetry, type RejectReason } from './schemas.js'

/** Reasons a payload is rejected, in the order they are checked. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'too_large', 'not_json', 'not_object', 'missing_field', 'wrong_type', 'not_finite', 'out_of_range', 'bad_machine_id', 'topic_mismatch', 'no_profile'
]

/** Default upper bound on a telemetry payload; a reading is about 250 bytes. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 4096

/** A payload that cannot be used, why, and a human-readable detail. */
export interface Rejection { ok: false, reason: RejectReason, detail: string }

export type DecodeResult = { ok: true, value: Telemetry } | Rejection

const telemetryCheck = TypeCompiler.Compile(Telemetry)

/**
 * Why a value fails a compiled telemetry schema, as a reject reason and a detail naming the field. Shared
 * by the AI4I decoder below and the validators compiled from sensor profiles, so both say the same.
 */
export function classifyTelemetryError (check: TypeCheck<TSchema>, value: unknown): { reason: RejectReason, detail: string } {
  const error = check.Errors(value).First()
  if (error === undefined) return { reason: 'wrong_type', detail: 'does not match the telemetry schema' }
  const field = error.path === '' ? 'payload' : error.path.slice(1)
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { reason: 'missing_field', detail: `missing field ${field}` }
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return { reason: 'out_of_range', detail: `${field} ${String(error.value)} is out of range: ${error.message}` }
    case ValueErrorType.StringPattern:
      if (field === 'machineId') return { reason: 'bad_machine_id', detail: `machineId ${JSON.stringify(error.value).slice(0, 80)} is not a valid machine id` }
      break
    case ValueErrorType.Number:
    case ValueErrorType.Integer:
      if (typeof error.value === 'number' && !Number.isFinite(error.value)) {
        return { reason: 'not_finite', detail: `${field} is ${String(error.value)}` }
      }
      break
  }
  return { reason: 'wrong_type', detail: `${field}: ${error.message}` }
}

/**
 * The first checks of every telemetry payload, before its schema: size, UTF-8, JSON, a JSON object.
 * Returns the parsed object or the rejection.
 */
export function parseTelemetryPayload (payload: Uint8Array | string, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): { ok: true, value: Record<string, unknown> } | Rejection {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength
  if (size > maxBytes) return { ok: false, reason: 'too_large', detail: `payload of ${size} bytes exceeds the limit of ${maxBytes}` }
  // Decoding would turn invalid bytes into U+FFFD and accept them inside any string; JSON text must be UTF-8.
  if (typeof payload !== 'string' && !isUtf8(payload)) return { ok: false, reason: 'not_json', detail: 'not JSON: the payload is not valid UTF-8' }
  let value: unknown
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'))
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: `not JSON: ${(err as Error).message}` }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not_object', detail: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` }
  }
  return { ok: true, value: value as Record<string, unknown> }
}

/**
 * Parses and validates one telemetry payload. `topicMachineId`, when given, must equal the payload's
 * machineId. Never throws: a bad payload comes back with a reason and a human-readable detail.
 */
export function decodeTelemetry (
  payload: Uint8Array | string,
  topicMachineId?: string,
  maxBytes = DEFAULT_MAX_PAYLOAD_BYTES
): DecodeResult {
  const parsed = parseTelemetryPayload(payload, maxBytes)
  if (!parsed.ok) return parsed
  const value = parsed.value
  if (!telemetryCheck.Check(value)) return { ok: false, ...classifyTelemetryError(telemetryCheck, value) }
  if (topicMachineId !== undefined && value.machineId !== topicMachineId) {
    return { ok: false, reason: 'topic_mismatch', detail: `machineId ${value.machineId} does not match topic machine ${topicMachineId}` }
  }
  return { ok: true, value }
}

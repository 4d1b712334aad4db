/**
 * A profile's telemetry validator: the flat payload `{"machineId","ts","seq","<signal>": number, ...}` as
 * a TypeBox schema compiled once, and the values of a valid reading written into a Float64Array (raw
 * signals in declaration order, then the derived ones), with no allocation beyond JSON.parse.
 */
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { classifyTelemetryError, DEFAULT_MAX_PAYLOAD_BYTES, parseTelemetryPayload } from '../contract/decode.js'
import type { RejectReason } from '../contract/schemas.js'
import { MACHINE_ID_PATTERN } from '../contract/topics.js'
import type { CompiledExpression } from './expression.js'
import type { SignalDefinition } from './definition.js'

/**
 * The outcome of the last validation. One object per validator, overwritten by every call (so a reading
 * costs no allocation): read it before validating the next payload.
 */
export interface TelemetryCheck {
  ok: boolean
  /** Set when not ok. */
  reason: RejectReason | undefined
  detail: string
  machineId: string
  ts: number
  seq: number
  /** Top-level fields that are neither envelope fields nor signals: ignored, to be counted by the caller. */
  unknownFields: number
  /** The first of them, for a log line. */
  firstUnknownField: string | undefined
  /** Optional signals the payload left out (their values are NaN). */
  missingOptional: number
}

export class TelemetryValidator {
  /** The JSON Schema of the payload (for docs/asyncapi.yaml and tests). */
  readonly schema: TObject
  readonly result: TelemetryCheck = { ok: false, reason: undefined, detail: '', machineId: '', ts: 0, seq: 0, unknownFields: 0, firstUnknownField: undefined, missingOptional: 0 }
  private readonly check: TypeCheck<TObject>
  private readonly known: ReadonlySet<string>
  /** The non-signal fields besides the envelope (ai4i: productType). */
  private readonly extraNames: readonly string[]
  private readonly names: readonly string[]

  /**
   * `extraFields` are non-signal fields the payload may carry and that are validated but not scored
   * (the built-in ai4i profile's productType); a profile from a file has none.
   */
  constructor (
    profileName: string,
    private readonly signals: readonly SignalDefinition[],
    private readonly derived: readonly CompiledExpression[],
    extraFields: Record<string, TSchema> = {}
  ) {
    const properties: Record<string, TSchema> = {
      machineId: Type.String({ pattern: MACHINE_ID_PATTERN, description: 'Machine id, also the second topic level' }),
      ts: Type.Integer({ minimum: 0, description: 'Unix time in milliseconds' }),
      seq: Type.Integer({ minimum: 0, description: 'Per-machine sequence number, +1 per reading' })
    }
    for (const s of signals) {
      const number = Type.Number({ minimum: s.min, maximum: s.max, description: `${s.description} in ${s.unit}` })
      properties[s.name] = s.optional ? Type.Optional(number) : number
    }
    Object.assign(properties, extraFields)
    this.schema = Type.Object(properties, { $id: `Telemetry.${profileName}`, description: `One reading of a machine of profile ${profileName}` })
    this.check = TypeCompiler.Compile(this.schema)
    this.known = new Set(Object.keys(properties))
    this.extraNames = Object.keys(extraFields)
    this.names = signals.map((s) => s.name)
  }

  /** Number of values written per reading: the raw signals, then the derived ones. */
  get size (): number {
    return this.signals.length + this.derived.length
  }

  /**
   * Validates a parsed payload and, when valid, writes its values into `out` (length >= size): a
   * missing optional signal as NaN, the derived signals computed from the others. `topicMachineId`,
   * when given, must equal the payload's machineId.
   */
  validate (value: Record<string, unknown>, out: Float64Array, topicMachineId?: string): TelemetryCheck {
    if (!this.check.Check(value)) {
      const { reason, detail } = classifyTelemetryError(this.check, value)
      return this.reject(reason, detail)
    }
    if (topicMachineId !== undefined && value.machineId !== topicMachineId) {
      return this.reject('topic_mismatch', `machineId ${String(value.machineId)} does not match topic machine ${topicMachineId}`)
    }
    return this.assign(value, out)
  }

  /**
   * Writes the values of a payload already known to be valid (a row the shared data reader checked
   * against the same contract) without checking it again, and fills {@link result} as {@link validate}
   * does.
   */
  assign (value: Record<string, unknown>, out: Float64Array): TelemetryCheck {
    this.write(value, out)
    const r = this.result
    r.ok = true
    r.reason = undefined
    r.detail = ''
    r.machineId = value.machineId as string
    r.ts = value.ts as number
    r.seq = value.seq as number
    return r
  }

  /** The values of a valid payload into `out`, and its unknown and missing fields into {@link result}. */
  private write (value: Record<string, unknown>, out: Float64Array): void {
    let missing = 0
    for (let i = 0; i < this.names.length; i++) {
      const v = value[this.names[i]]
      if (v === undefined) {
        missing++
        out[i] = NaN
      } else {
        out[i] = v as number
      }
    }
    const base = this.names.length
    for (let j = 0; j < this.derived.length; j++) out[base + j] = this.derived[j].evaluate(out)
    // Counting the keys is cheaper than looking each up: only a payload with more keys than its known
    // fields present has unknown ones to name.
    let present = 3 + this.names.length - missing
    for (let i = 0; i < this.extraNames.length; i++) if (value[this.extraNames[i]] !== undefined) present++
    let keys = 0
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- only the number of keys is wanted
    for (const _ in value) keys++
    let unknown = 0
    let first: string | undefined
    if (keys > present) {
      for (const key in value) {
        if (this.known.has(key)) continue
        if (unknown++ === 0) first = key
      }
    }
    const r = this.result
    r.unknownFields = unknown
    r.firstUnknownField = first
    r.missingOptional = missing
  }

  /** Parses a raw payload (size, UTF-8, JSON object: as decodeTelemetry) and validates it. */
  decode (payload: Uint8Array | string, out: Float64Array, topicMachineId?: string, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): TelemetryCheck {
    const parsed = parseTelemetryPayload(payload, maxBytes)
    if (!parsed.ok) return this.reject(parsed.reason, parsed.detail)
    return this.validate(parsed.value, out, topicMachineId)
  }

  private reject (reason: RejectReason, detail: string): TelemetryCheck {
    const r = this.result
    r.ok = false
    r.reason = reason
    r.detail = detail
    r.unknownFields = 0
    r.firstUnknownField = undefined
    r.missingOptional = 0
    return r
  }
}

/**
 * The message contract: one TypeBox definition per payload gives both the TypeScript type and the
 * JSON Schema used for runtime validation (and mirrored in docs/asyncapi.yaml).
 */
import { Type, type Static } from '@sinclair/typebox'
import { MACHINE_ID_PATTERN } from './topics.js'
import { SENSOR_SCHEMAS } from './sensor-fields.js'

const MachineId = Type.String({ pattern: MACHINE_ID_PATTERN, description: 'Machine id, also the second topic level' })
const Timestamp = Type.Integer({ minimum: 0, description: 'Unix time in milliseconds' })

/** Product quality variant of AI4I 2020: L(ow), M(edium), H(igh). */
export const ProductType = Type.Union([Type.Literal('L'), Type.Literal('M'), Type.Literal('H')])
export type ProductType = Static<typeof ProductType>

/** One sensor reading, published on `<prefix>/<machineId>/telemetry`. Ranges reject physically impossible values. */
export const Telemetry = Type.Object({
  machineId: MachineId,
  ts: Timestamp,
  seq: Type.Integer({ minimum: 0, description: 'Per-machine sequence number, +1 per reading' }),
  ...SENSOR_SCHEMAS,
  productType: Type.Optional(ProductType)
}, { $id: 'Telemetry', description: 'One reading of one machine' })
export type Telemetry = Static<typeof Telemetry>

/**
 * Telemetry of any sensor profile (docs/profiles.md): the envelope plus one top-level number per signal
 * of the machine's profile. Each profile's validator is compiled from its own signals and ranges; this
 * schema is what every one of them has in common (the built-in ai4i profile's payload is `Telemetry`).
 */
export const ProfileTelemetry = Type.Object({
  machineId: MachineId,
  ts: Timestamp,
  seq: Type.Integer({ minimum: 0, description: 'Per-machine sequence number, +1 per reading' })
}, {
  $id: 'ProfileTelemetry',
  additionalProperties: Type.Number({ description: 'A signal of the machine\'s sensor profile, by name (checked against the profile\'s min and max); fields that are not signals of the profile are ignored and counted' }),
  description: 'One reading of a machine of any sensor profile: the envelope and a number per signal. Machines of the built-in ai4i profile send the Telemetry message.'
})

/** One feature of a scored reading and how much it drove the score. */
export const FeatureContribution = Type.Object({
  name: Type.String(),
  unit: Type.String(),
  value: Type.Number(),
  contribution: Type.Number({ minimum: 0, maximum: 1, description: 'Share of the isolation attributed to this feature; the shares sum to 1' })
})
export type FeatureContribution = Static<typeof FeatureContribution>

export const Severity = Type.Union([Type.Literal('warning'), Type.Literal('critical')])
export type Severity = Static<typeof Severity>

/** What an alert is about: the machine's process (maintenance) or one of its sensors (an instrument technician). */
export const AlertKind = Type.Union([Type.Literal('process'), Type.Literal('sensor_fault')], { description: 'process: the machine (scored by the model); sensor_fault: a sensor or its link. Absent: process' })
export type AlertKind = Static<typeof AlertKind>

/** The evidence of a sensor fault: a frozen value, a one-reading excursion, a drift, readings missing. */
export const SensorFault = Type.Union([Type.Literal('stuck'), Type.Literal('spike'), Type.Literal('drift'), Type.Literal('dropout')], { description: 'sensor_fault only: stuck, spike, drift or dropout' })
export type SensorFault = Static<typeof SensorFault>

/** Published on `<prefix>/<machineId>/anomalies` (QoS 1) when a machine's alert state changes. */
export const AnomalyEvent = Type.Object({
  machineId: MachineId,
  ts: Timestamp,
  seq: Type.Integer({ minimum: 0, description: 'Sequence number of the reading that changed the state' }),
  state: Type.Union([Type.Literal('raised'), Type.Literal('cleared')]),
  // Optional so that events of detectors from before sensor-fault detection stay valid: absent means process.
  kind: Type.Optional(AlertKind),
  signal: Type.Optional(Type.String({ description: 'sensor_fault only: the sensor field at fault (absent for a dropout, which loses whole readings)' })),
  fault: Type.Optional(SensorFault),
  severity: Severity,
  score: Type.Number({ description: 'Isolation Forest anomaly score in (0, 1]; higher is more anomalous' }),
  threshold: Type.Number({ description: "The model's threshold on a single reading's score (see calibration for what decides with per-machine calibration on)" }),
  // Optional: absent when per-machine calibration is off (the k-of-m rule on the score above decides then).
  calibration: Type.Optional(Type.Object({
    smoothedScore: Type.Number({ description: 'The machine’s recent scores, averaged exponentially' }),
    baseline: Type.Number({ description: 'The machine’s own normal smoothed score, learned while it is not alerting' }),
    margin: Type.Number({ description: 'How far above its baseline the smoothed score must be to count as over: the profile\'s alert.margin, else the detector\'s --alert-baseline-margin' })
  }, { description: 'Per-machine calibration (process alerts): the alert rules compare smoothedScore − baseline with margin' })),
  modelVersion: Type.String(),
  // Optional so that events of detectors from before sensor profiles stay valid: absent means ai4i.
  profile: Type.Optional(Type.String({ description: 'The sensor profile of the machine (see docs/profiles.md)' })),
  features: Type.Array(FeatureContribution, { description: 'Features of the reading, strongest contribution first' }),
  window: Type.Object({
    size: Type.Integer({ minimum: 0, description: 'Readings in the machine window' }),
    from: Timestamp,
    to: Timestamp,
    over: Type.Integer({ minimum: 0, description: 'Recent scores over the threshold (k of m)' }),
    of: Type.Integer({ minimum: 0, description: 'Recent scores considered (m)' })
  })
}, { $id: 'AnomalyEvent' })
export type AnomalyEvent = Static<typeof AnomalyEvent>

/** Retained on `<prefix>/<machineId>/state`: the detector's current view of the machine. */
export const MachineState = Type.Object({
  machineId: MachineId,
  ts: Timestamp,
  state: Type.Union([Type.Literal('learning'), Type.Literal('normal'), Type.Literal('anomalous')], { description: 'learning: the machine is collecting its own baseline (a profile with learn), not scored yet' }),
  profile: Type.Optional(Type.String({ description: 'The sensor profile of the machine' })),
  learning: Type.Optional(Type.Object({
    readings: Type.Integer({ minimum: 0, description: 'Readings collected so far' }),
    of: Type.Integer({ minimum: 0, description: 'Readings the baseline needs (0 when only a duration is set)' }),
    progress: Type.Number({ minimum: 0, maximum: 1, description: 'Share of the learning done (readings or duration, whichever is further behind)' })
  }, { description: 'learning only' })),
  // Absent while learning: there is no model yet.
  score: Type.Optional(Type.Number()),
  threshold: Type.Optional(Type.Number()),
  modelVersion: Type.Optional(Type.String())
}, { $id: 'MachineState' })
export type MachineState = Static<typeof MachineState>

/** Retained on `<prefix>/<machineId>/status` by the publisher; the last will sets `offline`. */
export const MachineStatus = Type.Object({
  machineId: MachineId,
  status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  ts: Timestamp
}, { $id: 'MachineStatus' })
export type MachineStatus = Static<typeof MachineStatus>

export const RejectReason = Type.Union([
  Type.Literal('too_large'),
  Type.Literal('not_json'),
  Type.Literal('not_object'),
  Type.Literal('missing_field'),
  Type.Literal('wrong_type'),
  Type.Literal('not_finite'),
  Type.Literal('out_of_range'),
  Type.Literal('bad_machine_id'),
  Type.Literal('topic_mismatch'),
  Type.Literal('no_profile')
], { description: 'no_profile: no sensor profile covers the machine id' })
export type RejectReason = Static<typeof RejectReason>

/** Published by the detector on `<prefix>/<machineId>/rejected` for every payload it could not use. */
export const RejectedMessage = Type.Object({
  machineId: Type.String(),
  topic: Type.String(),
  ts: Timestamp,
  reason: RejectReason,
  detail: Type.String(),
  payload: Type.String({ description: 'The start of the payload (at most 256 characters)' })
}, { $id: 'RejectedMessage' })
export type RejectedMessage = Static<typeof RejectedMessage>

/** Published by the simulator on `<prefix>/<machineId>/truth`: what it injected, for scoring a run. */
export const GroundTruth = Type.Object({
  machineId: MachineId,
  ts: Timestamp,
  seq: Type.Integer({ minimum: 0 }),
  kind: Type.Union([Type.Literal('failure'), Type.Literal('sensor_fault')]),
  mode: Type.String({ description: 'Failures: HDF, PWF, OSF, TWF, RNF (AI4I machines), bearing_wear, cavitation, impeller_clog, seal_leak (pumps); replayed files may also say unspecified. Sensor faults (any machine): stuck, spike, drift, dropout, nan, garbage' }),
  phase: Type.Union([Type.Literal('start'), Type.Literal('end')])
}, { $id: 'GroundTruth' })
export type GroundTruth = Static<typeof GroundTruth>

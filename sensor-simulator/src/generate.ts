import type { Telemetry } from '@factory-edge/shared/contract'
import type { FailureMode } from './physics/ai4i.js'
import { FaultEffect, type SensorFaultMode } from './failures/sensor-fault.js'
import { createMachines, fleetMembers, perReadingProbability, readingTime } from './fleet.js'
import type { FlatTelemetry } from './machine-base.js'
import type { FleetPart, MachineKind } from './kind.js'
import { ScenarioSchedule, type Scenario } from './scenario.js'

/** 2026-01-01T00:00:00Z: generated data has fixed timestamps unless told otherwise, so a seed fixes everything. */
export const DEFAULT_START_TS = 1_767_225_600_000
export const DEFAULT_SEED = 1
/** Random failures per machine-hour when `failures` is on: at 1 Hz about AI4I's 3.4 % of failed cycles. */
export const DEFAULT_GENERATED_FAILURE_RATE = 3.6
/**
 * The same for pumps, whose failures last minutes rather than readings (8 minutes on average): at 0.5 an
 * hour a pump is failing about 7 % of the time.
 */
export const DEFAULT_GENERATED_PUMP_FAILURE_RATE = 0.5

export interface GenerateOptions {
  /** A count (ids machine-1 … machine-N) or the ids. */
  machines: number | readonly string[]
  readingsPerMachine: number
  seed?: number
  /** Inject random machine failures (default false: healthy machines only). */
  failures?: boolean
  /** Random failures per machine-hour when `failures` is on; default per kind (DEFAULT_GENERATED_FAILURE_RATE, DEFAULT_GENERATED_PUMP_FAILURE_RATE). */
  failureRate?: number
  /** Random sensor faults per machine-hour (default 0). */
  sensorFaultRate?: number
  /** Scripted injections; of the sensor faults that change the payload, dropout is marked (`sent`), nan and garbage are not applied here. */
  scenarios?: readonly Scenario[]
  /**
   * The unconditioned AI4I process: readings that fall in a failure region are kept and tools fail as in
   * the data set. For comparing the generator with the data; training data should not use it.
   */
  natural?: boolean
  startTs?: number
  intervalMs?: number
}

/** Options of {@link generateLabelledReadings}: any kind of machine, or a mixed fleet. */
export interface GenerateReadingsOptions extends GenerateOptions {
  /** Kind of the `machines` (default ai4i). */
  kind?: MachineKind
  /** A mixed fleet; replaces `machines` and `kind`. */
  kinds?: readonly FleetPart[]
}

/** A generated reading of any kind of machine, the failure and the sensor fault it belongs to (undefined when none). */
export interface LabelledReading {
  kind: MachineKind
  telemetry: FlatTelemetry
  failure: string | undefined
  /** The sensor fault of the reading, and the signal it affects. */
  fault: SensorFaultMode | undefined
  faultSignal: string | undefined
  /** False when the sensor fault drops the reading (dropout): a real machine would not have sent it. */
  sent: boolean
}

/** A generated AI4I reading, the failure and the sensor fault it belongs to (undefined when none). */
export interface LabelledTelemetry extends LabelledReading {
  telemetry: Telemetry & FlatTelemetry
  failure: FailureMode | undefined
}

/**
 * The simulator's physics without MQTT: readings in time order (cycle by cycle, machine by machine),
 * the same for the same options and seed.
 */
export function * generateLabelledReadings (options: GenerateReadingsOptions): Generator<LabelledReading> {
  const members = fleetMembers(options.machines, options.kind, options.kinds)
  const ids = members.map((m) => m.id)
  const intervalMs = options.intervalMs ?? 1000
  const startTs = options.startTs ?? DEFAULT_START_TS
  const rateHz = 1000 / intervalMs
  const faultProbability = perReadingProbability(options.sensorFaultRate ?? 0, rateHz)
  const machines = createMachines(members, options.seed ?? DEFAULT_SEED, (kind) => ({
    healthyOnly: options.natural !== true,
    failureProbability: options.failures === true ? perReadingProbability(options.failureRate ?? defaultFailureRate(kind), rateHz) : 0,
    faultProbability,
    intervalMs
  }))
  const schedule = new ScenarioSchedule(options.scenarios ?? [], ids, rateHz, (i, mode) => machines[i].accepts(mode))
  for (let cycle = 0; cycle < options.readingsPerMachine; cycle++) {
    for (let i = 0; i < machines.length; i++) {
      const m = machines[i]
      schedule.apply(i, cycle, m)
      const effect = m.step(readingTime(startTs, intervalMs, cycle, i, machines.length))
      m.truth.length = 0
      yield {
        kind: m.kind,
        telemetry: m.telemetry(),
        failure: m.label,
        fault: m.fault?.mode,
        faultSignal: m.fault?.signal,
        sent: effect !== FaultEffect.Drop
      }
    }
  }
}

/** AI4I machines only: {@link generateLabelledReadings} typed as AI4I telemetry. */
export function * generateLabelledTelemetry (options: GenerateOptions): Generator<LabelledTelemetry> {
  yield * generateLabelledReadings({ ...options, kind: 'ai4i' }) as Generator<LabelledTelemetry>
}

/** Generated AI4I telemetry (healthy by default), deterministic for a seed: training data and test input. */
export function generateTelemetry (options: GenerateOptions): Telemetry[] {
  const out: Telemetry[] = []
  for (const { telemetry } of generateLabelledTelemetry(options)) out.push(telemetry)
  return out
}

/** Random failures per machine-hour of a kind when `failures` is on and no rate is given. */
export function defaultFailureRate (kind: MachineKind): number {
  return kind === 'pump' ? DEFAULT_GENERATED_PUMP_FAILURE_RATE : DEFAULT_GENERATED_FAILURE_RATE
}

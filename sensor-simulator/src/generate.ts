import { telemetryOf, type Telemetry } from '@factory-edge/shared/contract'
import type { FailureMode } from './physics/ai4i.js'
import { FaultEffect, type SensorFaultMode } from './failures/sensor-fault.js'
import { createMachines, machineIds, perReadingProbability, readingTime } from './fleet.js'
import { ScenarioSchedule, type Scenario } from './scenario.js'

/** 2026-01-01T00:00:00Z: generated data has fixed timestamps unless told otherwise, so a seed fixes everything. */
export const DEFAULT_START_TS = 1_767_225_600_000
export const DEFAULT_SEED = 1
/** Random failures per machine-hour when `failures` is on: at 1 Hz about AI4I's 3.4 % of failed cycles. */
export const DEFAULT_GENERATED_FAILURE_RATE = 3.6

export interface GenerateOptions {
  /** A count (ids machine-1 … machine-N) or the ids. */
  machines: number | readonly string[]
  readingsPerMachine: number
  seed?: number
  /** Inject random machine failures (default false: healthy machines only). */
  failures?: boolean
  /** Random failures per machine-hour when `failures` is on. */
  failureRate?: number
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

/** A generated reading, the failure and the sensor fault it belongs to (undefined when none). */
export interface LabelledTelemetry {
  telemetry: Telemetry
  failure: FailureMode | undefined
  /** The sensor fault of the reading, and the signal it affects. */
  fault: SensorFaultMode | undefined
  faultSignal: string | undefined
  /** False when the sensor fault drops the reading (dropout): a real machine would not have sent it. */
  sent: boolean
}

/**
 * The simulator's physics without MQTT: readings in time order (cycle by cycle, machine by machine),
 * the same for the same options and seed.
 */
export function * generateLabelledTelemetry (options: GenerateOptions): Generator<LabelledTelemetry> {
  const ids = machineIds(options.machines)
  const intervalMs = options.intervalMs ?? 1000
  const startTs = options.startTs ?? DEFAULT_START_TS
  const rateHz = 1000 / intervalMs
  const failureProbability = options.failures === true ? perReadingProbability(options.failureRate ?? DEFAULT_GENERATED_FAILURE_RATE, rateHz) : 0
  const machines = createMachines(ids, options.seed ?? DEFAULT_SEED, { healthyOnly: options.natural !== true, failureProbability, faultProbability: 0 })
  const schedule = new ScenarioSchedule(options.scenarios ?? [], ids, rateHz)
  for (let cycle = 0; cycle < options.readingsPerMachine; cycle++) {
    for (let i = 0; i < machines.length; i++) {
      const m = machines[i]
      schedule.apply(i, cycle, m)
      const effect = m.step(readingTime(startTs, intervalMs, cycle, i, machines.length))
      m.truth.length = 0
      yield {
        telemetry: telemetryOf(m.id, m.reading),
        failure: m.label,
        fault: m.fault?.mode,
        faultSignal: m.fault?.signal,
        sent: effect !== FaultEffect.Drop
      }
    }
  }
}

/** Generated telemetry (healthy by default), deterministic for a seed: training data and test input. */
export function generateTelemetry (options: GenerateOptions): Telemetry[] {
  const out: Telemetry[] = []
  for (const { telemetry } of generateLabelledTelemetry(options)) out.push(telemetry)
  return out
}

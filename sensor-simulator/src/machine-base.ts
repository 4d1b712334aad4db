import type { GroundTruth } from '@factory-edge/shared/contract'
import type { Random } from '@factory-edge/shared/ml'
import { createSensorFault, FaultEffect, garbagePayload, isSensorFaultMode, SENSOR_FAULT_MODES, type FaultySignal, type SensorFaultEpisode, type SensorFaultMode } from './failures/sensor-fault.js'
import type { MachineKind } from './kind.js'

export interface MachineOptions {
  /** Redraw readings that fall in a failure region (only injections fail); false = AI4I's own failure rates. */
  healthyOnly: boolean
  /** Chance per reading that a random machine failure starts. */
  failureProbability: number
  /** Chance per reading that a random sensor fault starts. */
  faultProbability: number
  /** Milliseconds between readings: the time step of machines whose physics runs in time (pumps). */
  intervalMs: number
}

/** A machine failure in progress: its mode, readings since it started, and how many it lasts. */
export interface Episode<F extends string = string> {
  readonly mode: F
  age: number
  readonly length: number
}

/** A flat telemetry message as generated: envelope fields and signal values. */
export type FlatTelemetry = { machineId: string, ts: number, seq: number } & Record<string, number | string>

/**
 * What every kind of simulated machine shares: injected and random machine failures and sensor faults,
 * their ground truth, and the sensor faults applied to a reading. A kind adds its physics, its failure
 * modes and its payload. Each {@link step} takes one reading; ground-truth events it caused are queued
 * in {@link truth}.
 */
export abstract class MachineBase<F extends string = string, E extends Episode<F> = Episode<F>> {
  abstract readonly kind: MachineKind
  /** The last reading, overwritten by every step (no allocation per reading). */
  abstract readonly reading: { ts: number, seq: number }
  seq = 0
  /** Ground truth produced by the last steps; the caller publishes and clears it. */
  readonly truth: GroundTruth[] = []
  /** The failure this reading belongs to, for labelled data. */
  label: string | undefined
  failure: E | undefined
  fault: SensorFaultEpisode | undefined
  private pendingFailure: F | undefined
  private pendingFault: SensorFaultMode | undefined
  private pendingFaultReadings: number | undefined

  constructor (
    readonly id: string,
    protected readonly rng: Random,
    /** Separate stream for injections, so that injecting on one run does not change the physics of the next readings. */
    protected readonly eventRng: Random,
    protected readonly options: MachineOptions,
    private readonly faultySignals: readonly FaultySignal[]
  ) {}

  /** True when `mode` is a machine failure mode of this kind. */
  abstract isFailureMode (mode: string): mode is F
  /** Takes the next reading at time `ts` and says how it should go out. */
  abstract step (ts: number): FaultEffect
  /** The last reading as telemetry JSON; `nanField` is written as a bare NaN (not JSON), as a broken firmware would. */
  abstract encode (nanField?: string): string
  /** The last reading as a new telemetry object (for generated data, not the hot path). */
  abstract telemetry (): FlatTelemetry
  /** A new failure episode of `mode`, drawn from the event stream. */
  protected abstract startFailure (mode: F): E
  /** Picks the mode of a random failure from a uniform draw. */
  protected abstract drawFailureMode (u: number): F

  /** True when `mode` can be injected into this machine: one of its failure modes or a sensor fault. */
  accepts (mode: string): boolean {
    return this.isFailureMode(mode) || isSensorFaultMode(mode)
  }

  /** Starts a machine failure or a sensor fault with the next reading. */
  inject (mode: string, readings?: number): void {
    if (this.isFailureMode(mode)) this.injectFailure(mode)
    else if (isSensorFaultMode(mode)) this.injectFault(mode, readings)
    else throw new RangeError(`${mode} cannot be injected into ${this.id} (${this.kind})`)
  }

  /** Starts a machine failure with the next reading (ending the current one, if any). */
  injectFailure (mode: F): void {
    this.pendingFailure = mode
  }

  /** Starts a sensor fault with the next reading; `readings` overrides its default length. */
  injectFault (mode: SensorFaultMode, readings?: number): void {
    this.pendingFault = mode
    this.pendingFaultReadings = readings
  }

  /** A garbage payload from this machine's event stream (deterministic for the seed). */
  garbage (): Buffer {
    return garbagePayload(this.eventRng)
  }

  /** Stamps the next reading and updates the episodes it belongs to: the first thing of every step. */
  protected startReading (ts: number): void {
    const r = this.reading
    r.ts = ts
    r.seq = this.seq++
    this.updateEpisodes(ts, r.seq)
  }

  /** Lets the current sensor fault, if any, change the reading; the caller rounds the values again. */
  protected applyFault (reading: Record<string, unknown>): FaultEffect {
    const fault = this.fault
    if (fault === undefined) return FaultEffect.Publish
    const effect = fault.apply(reading, this.eventRng)
    fault.age++
    return effect
  }

  /** Ends finished episodes and starts pending or random ones, queuing their ground truth. */
  private updateEpisodes (ts: number, seq: number): void {
    if (this.failure !== undefined && (this.failure.age >= this.failure.length || this.pendingFailure !== undefined)) {
      this.pushTruth(ts, seq, 'failure', this.failure.mode, 'end')
      this.failure = undefined
    }
    if (this.fault !== undefined && (this.fault.age >= this.fault.length || this.pendingFault !== undefined)) {
      this.pushTruth(ts, seq, 'sensor_fault', this.fault.mode, 'end')
      this.fault = undefined
    }
    const er = this.eventRng
    if (this.pendingFailure === undefined && this.failure === undefined && this.options.failureProbability > 0 && er.next() < this.options.failureProbability) {
      this.pendingFailure = this.drawFailureMode(er.next())
    }
    if (this.pendingFailure !== undefined) {
      const mode = this.pendingFailure
      this.pendingFailure = undefined
      this.failure = this.startFailure(mode)
      this.pushTruth(ts, seq, 'failure', mode, 'start')
    }
    if (this.pendingFault === undefined && this.fault === undefined && this.options.faultProbability > 0 && er.next() < this.options.faultProbability) {
      this.pendingFault = drawFaultMode(er.next())
    }
    if (this.pendingFault !== undefined) {
      const mode = this.pendingFault
      this.pendingFault = undefined
      this.fault = createSensorFault(mode, er, this.faultySignals, this.pendingFaultReadings)
      this.pendingFaultReadings = undefined
      this.pushTruth(ts, seq, 'sensor_fault', mode, 'start')
    }
  }

  private pushTruth (ts: number, seq: number, kind: GroundTruth['kind'], mode: string, phase: GroundTruth['phase']): void {
    this.truth.push({ machineId: this.id, ts, seq, kind, mode, phase })
  }
}

function drawFaultMode (u: number): SensorFaultMode {
  return SENSOR_FAULT_MODES[Math.min(SENSOR_FAULT_MODES.length - 1, Math.floor(u * SENSOR_FAULT_MODES.length))]
}

/** Drawing a failure mode with given weights (they need not sum to 1). */
export function drawWeighted<M extends string> (modes: readonly M[], weights: Readonly<Record<M, number>>, u: number): M {
  let total = 0
  for (const m of modes) total += weights[m]
  let acc = 0
  for (const m of modes) {
    acc += weights[m] / total
    if (u < acc) return m
  }
  return modes[modes.length - 1]
}

export function round (x: number, scale: number): number {
  return Math.round(x * scale) / scale
}

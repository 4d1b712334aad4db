import type { Random } from '@factory-edge/shared/ml'
import type { PumpCondition } from '../physics/pump.js'
import { episodeProgress, type FailureTiming } from './machine-failure.js'

/** Failures of a centrifugal pump, as published in ground truth. */
export const PUMP_FAILURE_MODES = ['bearing_wear', 'cavitation', 'impeller_clog', 'seal_leak'] as const
export type PumpFailureMode = typeof PUMP_FAILURE_MODES[number]

/** True when `mode` is a pump failure mode. */
export function isPumpFailureMode (mode: string): mode is PumpFailureMode {
  return (PUMP_FAILURE_MODES as readonly string[]).includes(mode)
}

/**
 * Relative frequency of random pump failures: bearings and seals are the parts that fail most often in
 * centrifugal pumps; a choice for the simulation, not data.
 */
export const PUMP_FAILURE_WEIGHTS: Readonly<Record<PumpFailureMode, number>> = { bearing_wear: 35, seal_leak: 25, impeller_clog: 20, cavitation: 20 }

/** Seconds over which each failure builds up, holds until repaired, and fades after the repair: [least, most]. */
const TIMING_S: Readonly<Record<PumpFailureMode, { ramp: [number, number], hold: [number, number], recover: [number, number] }>> = {
  // A bearing degrades slowly; the others develop faster once they start.
  bearing_wear: { ramp: [180, 420], hold: [180, 420], recover: [20, 60] },
  cavitation: { ramp: [30, 90], hold: [120, 300], recover: [10, 30] },
  impeller_clog: { ramp: [60, 180], hold: [120, 300], recover: [10, 30] },
  seal_leak: { ramp: [60, 180], hold: [120, 300], recover: [10, 30] }
}

/** One failure of one pump: how bad it gets (severity 0.7–1) and how it unfolds. */
export class PumpFailureEpisode {
  age = 0

  constructor (
    readonly mode: PumpFailureMode,
    readonly severity: number,
    readonly timing: FailureTiming
  ) {}

  get length (): number {
    return this.timing.ramp + this.timing.hold + this.timing.recover
  }

  /** Sets the pump's condition for the current reading. */
  apply (c: PumpCondition): void {
    c.reset()
    const x = episodeProgress(this.age, this.timing) * this.severity
    switch (this.mode) {
      case 'bearing_wear':
        c.bearingWear = x
        break
      case 'cavitation':
        // A clogging suction strainer and a falling supply level: the suction pressure sinks until
        // the pump's NPSH is no longer met at its higher flows.
        c.strainerLossBar = 0.9 * x
        c.supplyDropBar = 1.5 * x
        break
      case 'impeller_clog':
        // Debris in the impeller's channels: less head, a steeper curve, worse efficiency, unbalance.
        c.headFactor = 1 - 0.22 * x
        c.curveFactor = 1 + 1.5 * x
        c.efficiencyFactor = 1 - 0.18 * x
        c.unbalance = 1 + 0.8 * x
        break
      case 'seal_leak':
        // About 20 m³/h at 50 m of head lost through the seal before the flow meter.
        c.leak = 2.8 * x
        break
    }
  }
}

/** Starts a pump failure, its severity and timing drawn from the event stream. */
export function startPumpFailure (mode: PumpFailureMode, rng: Random, intervalMs: number): PumpFailureEpisode {
  const severity = rng.uniform(0.7, 1)
  const t = TIMING_S[mode]
  const readings = (range: [number, number]): number => Math.max(1, Math.round(rng.uniform(range[0], range[1]) * 1000 / intervalMs))
  return new PumpFailureEpisode(mode, severity, { ramp: readings(t.ramp), hold: readings(t.hold), recover: readings(t.recover) })
}

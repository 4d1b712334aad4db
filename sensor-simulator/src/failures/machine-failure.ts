import type { Random } from '@factory-edge/shared/ml'
import { OVERSTRAIN_LIMIT, RPM_TO_RAD_PER_S, TOOL_LIFE_MAX, TOOL_LIFE_MIN, WEAR_PER_CYCLE, type FailureMode } from '../physics/ai4i.js'

/** Readings over which a failure builds up, is held, and fades after the repair. */
export interface FailureTiming {
  ramp: number
  hold: number
  recover: number
}

/**
 * Where a failing machine is driven to: absolute targets for speed, torque, process − air difference
 * and tool wear (NaN = follow the healthy process) and a shift of the air temperature.
 */
export interface FailureTargets {
  airShiftK: number
  deltaK: number
  rpm: number
  torque: number
  toolWear: number
}

/** Small wobble around the targets while the failure is held, so a failed machine is not a flat line (σ, relative for speed and torque). */
const JITTER = { deltaK: 0.1, rpm: 0.008, torque: 0.02 }

/** Draws where a machine in `mode` goes; the targets lie well inside the AI4I failure region of the mode. */
export function failureTargets (mode: FailureMode, rng: Random, toolWear: number): FailureTargets {
  const t: FailureTargets = { airShiftK: 0, deltaK: Number.NaN, rpm: Number.NaN, torque: Number.NaN, toolWear: Number.NaN }
  switch (mode) {
    case 'HDF': {
      // Hot surroundings and a clogged cooler: air warms, the process barely follows, the spindle slows
      // and needs more torque.
      t.airShiftK = rng.uniform(1, 3)
      t.deltaK = rng.uniform(5.8, 7.0)
      t.rpm = rng.uniform(1270, 1340)
      t.torque = rng.uniform(52, 60)
      break
    }
    case 'PWF': {
      // Either an overload (high torque at low speed) or a stall of the feed (little torque, racing spindle).
      const high = rng.next() < 0.5
      // Far enough outside 3,500 – 9,000 W that the power alone stands out (healthy 1 % / 99 %: 3,800 / 8,800 W).
      const power = high ? rng.uniform(9800, 10800) : rng.uniform(1300, 2000)
      t.torque = high ? rng.uniform(66, 74) : rng.uniform(6, 9)
      t.rpm = power / (t.torque * RPM_TO_RAD_PER_S)
      // The process heat follows the power: an overload runs hot, a stalled feed cools toward the air.
      t.deltaK = high ? rng.uniform(11.8, 12.8) : rng.uniform(8.0, 8.8)
      break
    }
    case 'OSF': {
      // A hard workpiece: torque climbs and the tool wears fast until wear × torque passes every limit.
      const strain = OVERSTRAIN_LIMIT.H * rng.uniform(1.1, 1.25)
      t.torque = rng.uniform(60, 68)
      t.toolWear = Math.max(toolWear, Math.ceil(strain / t.torque))
      t.rpm = rng.uniform(1290, 1350)
      break
    }
    case 'TWF': {
      // The tool reaches the end of its life; a dull tool cuts with more torque at a lower speed.
      t.toolWear = Math.max(toolWear, Math.round(rng.uniform(TOOL_LIFE_MIN + 5, TOOL_LIFE_MAX)))
      t.torque = rng.uniform(54, 60)
      t.rpm = rng.uniform(1330, 1380)
      break
    }
    case 'RNF':
      // Random failures have no precursor in the readings, as in AI4I.
      break
  }
  return t
}

/** Draws how long the failure builds up (5–15 readings), lasts and takes to clear. */
export function failureTiming (rng: Random): FailureTiming {
  return { ramp: 5 + rng.int(11), hold: 10 + rng.int(21), recover: 3 + rng.int(6) }
}

/** One failure of one machine, from the first degraded reading to the last reading before it is healthy again. */
export class FailureEpisode {
  /** Readings since the start. */
  age = 0

  constructor (
    readonly mode: FailureMode,
    readonly targets: FailureTargets,
    readonly timing: FailureTiming
  ) {}

  /** Readings the episode lasts. */
  get length (): number {
    return this.timing.ramp + this.timing.hold + this.timing.recover
  }

  /** True while the machine is past the build-up and not yet repaired. */
  get failed (): boolean {
    return this.age >= this.timing.ramp && this.age < this.timing.ramp + this.timing.hold
  }

  /** True once the repair started (the tool has been replaced by then). */
  get recovering (): boolean {
    return this.age >= this.timing.ramp + this.timing.hold
  }

  /** How far the machine is from healthy (0) to fully in the failure (1) at the current reading. */
  progress (): number {
    return episodeProgress(this.age, this.timing)
  }

  /** Blends the healthy values toward the targets by the current progress. */
  apply (v: { airK: number, processK: number, rpm: number, torque: number, toolWear: number }, rng: Random): void {
    const p = this.progress()
    if (p === 0) return
    const t = this.targets
    const held = p === 1
    const healthyDelta = v.processK - v.airK
    v.airK += p * t.airShiftK
    const delta = Number.isNaN(t.deltaK) ? healthyDelta : mix(healthyDelta, jitter(t.deltaK, JITTER.deltaK, held, rng), p)
    v.processK = v.airK + delta
    if (!Number.isNaN(t.rpm)) v.rpm = mix(v.rpm, jitter(t.rpm, JITTER.rpm * t.rpm, held, rng), p)
    if (!Number.isNaN(t.torque)) v.torque = mix(v.torque, jitter(t.torque, JITTER.torque * t.torque, held, rng), p)
    // After the repair the tool is new: wear follows the (reset) process instead of fading back. While
    // the machine fails it keeps cutting, so the tool keeps wearing (at the slowest variant's rate).
    if (!Number.isNaN(t.toolWear) && !this.recovering) v.toolWear = mix(v.toolWear, t.toolWear + this.age * WEAR_PER_CYCLE.L, p)
  }
}

/** How far a machine `age` readings into a failure is from healthy (0) to fully failed (1): smooth build-up, hold, smooth recovery. */
export function episodeProgress (age: number, timing: FailureTiming): number {
  const { ramp, hold, recover } = timing
  if (age < ramp) return smoothstep((age + 1) / ramp)
  if (age < ramp + hold) return 1
  return 1 - smoothstep((age - ramp - hold + 1) / recover)
}

function smoothstep (x: number): number {
  const c = x < 0 ? 0 : x > 1 ? 1 : x
  return c * c * (3 - 2 * c)
}

function mix (a: number, b: number, p: number): number {
  return a + (b - a) * p
}

function jitter (value: number, std: number, held: boolean, rng: Random): number {
  return held && std > 0 ? value + rng.normal(0, std) : value
}

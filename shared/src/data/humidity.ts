import { Random } from '../random.js'

const DAY_MS = 86_400_000
/** Relative humidity peaks in the early morning (05:00 UTC) and is lowest in the afternoon. */
const PEAK_MS = 5 * 3_600_000
const AMPLITUDE = 10
const NOISE = 1.5

/** Default seed of the synthetic humidity, so that the same file always gives the same readings. */
export const HUMIDITY_SEED = 2020
/** Base relative humidity in %, that of the simulator's machines. */
const HUMIDITY_BASE = 45

/**
 * Synthetic relative humidity in % (AI4I has none; the original design made it up too): a daily cycle
 * around a per-machine base, with sensor noise, rounded to 0.1 %.
 */
export function syntheticHumidity (base: number, ts: number, rng: Random): number {
  const h = base + AMPLITUDE * Math.cos(2 * Math.PI * ((ts - PEAK_MS) % DAY_MS) / DAY_MS) + rng.normal(0, NOISE)
  return Math.round((h < 0 ? 0 : h > 100 ? 100 : h) * 10) / 10
}

/**
 * The humidity of a data file without one: the simulator's, from a seeded generator, so that reading a
 * file twice (to train, to replay) gives identical readings.
 */
export class SyntheticHumidity {
  private readonly random: Random

  constructor (seed = HUMIDITY_SEED) {
    this.random = new Random(seed)
  }

  /** Humidity at time `ts` (Unix ms). */
  at (ts: number): number {
    return syntheticHumidity(HUMIDITY_BASE, ts, this.random)
  }
}

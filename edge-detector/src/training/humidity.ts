import { Random } from '@factory-edge/shared'
import { syntheticHumidity } from '@factory-edge/sensor-simulator'

/** Default seed of the synthetic humidity, so that the same file always gives the same readings. */
export const HUMIDITY_SEED = 2020
/** Base relative humidity in %, as the simulator's machines. */
const HUMIDITY_BASE = 45

/**
 * AI4I 2020 has no humidity; the original design added a synthetic one. This is the simulator's (a
 * daily cycle plus sensor noise) from a seeded generator, so loading a file twice gives identical rows.
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

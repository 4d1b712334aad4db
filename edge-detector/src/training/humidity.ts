import { Random } from '@factory-edge/shared'

/** Default seed of the synthetic humidity, so that the same file always gives the same readings. */
export const HUMIDITY_SEED = 2020

/**
 * AI4I 2020 has no humidity; the original design added a synthetic one. It is drawn from a seeded
 * generator (uniform 30–70 % relative humidity), so loading a file twice gives identical rows.
 */
export class SyntheticHumidity {
  private readonly random: Random

  constructor (seed = HUMIDITY_SEED) {
    this.random = new Random(seed)
  }

  next (): number {
    return this.random.uniform(30, 70)
  }
}

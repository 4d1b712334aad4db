import type { FeatureSummary } from './model.js'

/**
 * How fast the score rises with the distance beyond the training range: a reading this many training
 * standard deviations outside it (summed over the features) has covered 1 − 1/e of the way from its
 * forest score to 1. Chosen by the alert-quality benchmark (docs/quality.md).
 */
export const RANGE_SCORE_RATE = 1

/**
 * The training data's range of each feature, used to extend the Isolation Forest's score beyond it.
 *
 * A forest cannot rank points past the training data: its splits are drawn between the smallest and
 * largest value of each sample (Liu, Ting & Zhou, "Isolation Forest", 2008, section 4), so every reading
 * beyond the largest training value follows the same path as that value, and an overload of 11 kW scores
 * like the most powerful healthy cycle at 9 kW. The score is therefore raised by how far, in training
 * standard deviations, a reading lies outside the range; inside it the forest's score is unchanged, so
 * the training scores, the stored threshold and the evaluation on training rows stay the same.
 */
export class TrainingRange {
  private readonly low: Float64Array
  private readonly high: Float64Array
  /** 1 / standard deviation per feature; 0 for a constant feature, which then never counts as outside. */
  private readonly inverseStd: Float64Array

  constructor (summary: readonly FeatureSummary[]) {
    this.low = Float64Array.from(summary, (s) => s.min)
    this.high = Float64Array.from(summary, (s) => s.max)
    this.inverseStd = Float64Array.from(summary, (s) => (s.std > 0 ? 1 / s.std : 0))
  }

  /** Training standard deviations by which a row lies outside the range, summed over the features. */
  excess (row: ArrayLike<number>, offset = 0): number {
    let total = 0
    for (let f = 0; f < this.low.length; f++) total += this.featureExcess(f, row[offset + f])
    return total
  }

  /** The forest's score raised by the excess: continuous at the range's edge, below 1 at any distance. */
  extend (score: number, excess: number): number {
    return excess > 0 ? score + (1 - score) * (1 - Math.exp(-RANGE_SCORE_RATE * excess)) : score
  }

  /**
   * Blends the forest's shares of a score (`shares`, summing to 1) with the shares of the excess, in
   * proportion to what each added to the extended score, so the feature that left the range is named.
   */
  blendContributions (row: ArrayLike<number>, score: number, shares: Float64Array, offset = 0): Float64Array {
    const excess = this.excess(row, offset)
    if (!(excess > 0)) return shares
    const extended = this.extend(score, excess)
    const forestPart = score / extended
    const rangePart = (extended - score) / extended
    for (let f = 0; f < this.low.length; f++) {
      shares[f] = shares[f] * forestPart + rangePart * this.featureExcess(f, row[offset + f]) / excess
    }
    return shares
  }

  private featureExcess (f: number, v: number): number {
    if (v > this.high[f]) return (v - this.high[f]) * this.inverseStd[f]
    if (v < this.low[f]) return (this.low[f] - v) * this.inverseStd[f]
    return 0
  }
}

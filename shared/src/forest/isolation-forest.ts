import { Random } from '../random.js'
import { ForestInputError } from '../errors.js'
import { layOutForest, nodeGains, type ForestLayout, type LayoutMode } from './forest-layout.js'
import { BLOCK_ROWS, CompleteScorer } from './complete-scorer.js'
import { averagePathLength, averagePathLengths } from './path-length.js'
import { TreeBuilder, type PreorderTrees } from './tree-builder.js'

export { ForestInputError } from '../errors.js'

export interface ForestOptions {
  /** Number of trees. */
  nEstimators: number
  /** Rows drawn (without replacement) for each tree; `auto` is min(256, rows). */
  maxSamples: number | 'auto'
  /** Expected share of anomalies in the training data, or `auto` for a threshold of 0.5. */
  contamination: number | 'auto'
  /** Seed of the pseudo-random generator: same data, options and seed give the same forest. */
  seed: number
}

export const DEFAULT_FOREST_OPTIONS: ForestOptions = { nEstimators: 100, maxSamples: 'auto', contamination: 'auto', seed: 42 }

/** The serialisable state of a trained forest: the trees in pre-order plus the settings. */
export interface ForestState extends PreorderTrees {
  nFeatures: number
  /** Rows each tree was grown on (ψ). */
  sampleSize: number
  threshold: number
  options: ForestOptions
}

/**
 * Isolation Forest (Liu, Ting & Zhou 2008) with scikit-learn's conventions. The trees are kept in
 * pre-order (the stored form) and laid out as complete binary trees for scoring (see ForestLayout);
 * scoring does not allocate.
 */
export class IsolationForest {
  readonly nFeatures: number
  readonly sampleSize: number
  readonly options: ForestOptions
  readonly nTrees: number
  private thresholdValue: number
  private readonly trees: PreorderTrees
  private readonly layout: ForestLayout
  /** c(ψ): path lengths are normalised by it. */
  private readonly normaliser: number
  /** Fast path; null when the trees are too deep for the complete layout, or the layout is compact. */
  private readonly scorer: CompleteScorer | null
  /** Compact layout: c(n) for every leaf size n <= ψ (shared by the forests of a sample size). */
  private readonly leafPathLengths: Float64Array | null

  /**
   * Builds a forest from its state, validating the trees; throws ForestInputError if they are
   * inconsistent. `layout` chooses speed or memory (see LayoutMode); scores are the same either way.
   */
  constructor (state: ForestState, readonly layoutMode: LayoutMode = 'fast') {
    validateOptions(state.options)
    if (!Number.isInteger(state.nFeatures) || state.nFeatures < 1) throw new ForestInputError(`nFeatures must be a positive integer, got ${state.nFeatures}`)
    if (!Number.isFinite(state.threshold)) throw new ForestInputError(`threshold must be a finite number, got ${state.threshold}`)
    if (state.roots.length !== state.options.nEstimators) {
      throw new ForestInputError(`forest has ${state.roots.length} trees but options.nEstimators is ${state.options.nEstimators}`)
    }
    this.nFeatures = state.nFeatures
    this.sampleSize = state.sampleSize
    this.thresholdValue = state.threshold
    const { nEstimators, maxSamples, contamination, seed } = state.options
    this.options = { nEstimators, maxSamples, contamination, seed }
    this.trees = { roots: state.roots, feature: state.feature, value: state.value }
    this.layout = layOutForest(this.trees, state.nFeatures, state.sampleSize, layoutMode)
    this.leafPathLengths = this.layout.pathLength === null ? averagePathLengths(state.sampleSize) : null
    this.nTrees = state.roots.length
    this.normaliser = averagePathLength(state.sampleSize)
    this.scorer = this.layout.complete === null ? null : new CompleteScorer(this.layout.complete, this.nTrees, this.layout.maxDepth, this.nFeatures)
  }

  /** Score above which a row is an anomaly: 0.5 for contamination `auto`, else the training-score quantile. */
  get threshold (): number {
    return this.thresholdValue
  }

  /** Trains a forest on `data`, row-major with `nFeatures` values per row. */
  static fit (data: Float64Array, nFeatures: number, options: Partial<ForestOptions> = {}): IsolationForest {
    const opts: ForestOptions = { ...DEFAULT_FOREST_OPTIONS, ...options }
    validateOptions(opts)
    if (!Number.isInteger(nFeatures) || nFeatures < 1) throw new ForestInputError(`nFeatures must be a positive integer, got ${nFeatures}`)
    if (data.length % nFeatures !== 0) throw new ForestInputError(`data length ${data.length} is not a multiple of nFeatures ${nFeatures}`)
    const nRows = data.length / nFeatures
    if (nRows < 1) throw new ForestInputError('cannot train on an empty data set')
    assertFinite(data, nFeatures)
    const sampleSize = opts.maxSamples === 'auto' ? Math.min(256, nRows) : Math.min(opts.maxSamples, nRows)
    const trees = new TreeBuilder(data, nFeatures, nRows, sampleSize, new Random(opts.seed)).build(opts.nEstimators)
    const forest = new IsolationForest({ nFeatures, sampleSize, threshold: 0.5, options: opts, ...trees })
    if (opts.contamination !== 'auto') forest.thresholdValue = quantile(forest.scoreBatch(data), 1 - opts.contamination)
    return forest
  }

  /** The arrays and settings that define this forest (for serialisation). */
  state (): ForestState {
    return {
      nFeatures: this.nFeatures,
      sampleSize: this.sampleSize,
      threshold: this.thresholdValue,
      options: { ...this.options },
      ...this.trees
    }
  }

  /**
   * Anomaly score s = 2^(−E[h(x)]/c(ψ)) of the row starting at `offset`; higher is more anomalous.
   * NaN when the row holds a non-finite value.
   */
  score (row: ArrayLike<number>, offset = 0): number {
    for (let f = 0; f < this.nFeatures; f++) if (!Number.isFinite(row[offset + f])) return NaN
    // One training row: c(1) = 0 and every path is 0 long; scikit-learn defines the score as 0.5.
    if (this.normaliser === 0) return 0.5
    return this.toScore(this.scorer === null ? this.sparsePathSum(row, offset) : this.scorer.rowPathSum(row, offset))
  }

  /**
   * Scores every row of a row-major matrix; writes into `out` when given (no allocation then). Rows are
   * taken in blocks and each tree is run over a whole block, so the tree stays in cache.
   */
  scoreBatch (data: Float64Array, out?: Float64Array): Float64Array {
    const nF = this.nFeatures
    if (data.length % nF !== 0) throw new ForestInputError(`data length ${data.length} is not a multiple of nFeatures ${nF}`)
    const nRows = data.length / nF
    const result = out ?? new Float64Array(nRows)
    if (result.length < nRows) throw new ForestInputError(`output holds ${result.length} scores, ${nRows} rows given`)
    const scorer = this.scorer
    if (scorer === null || this.normaliser === 0) {
      for (let r = 0; r < nRows; r++) result[r] = this.score(data, r * nF)
      return result
    }
    for (let first = 0; first < nRows; first += BLOCK_ROWS) {
      const count = Math.min(BLOCK_ROWS, nRows - first)
      scorer.pathSums(data, first, count, result)
      for (let r = first, base = first * nF; r < first + count; r++, base += nF) {
        let finite = true
        for (let f = 0; f < nF; f++) if (!Number.isFinite(data[base + f])) finite = false
        result[r] = finite ? this.toScore(result[r]) : NaN
      }
    }
    return result
  }

  /**
   * Per-feature path shortening of a row, written to `out`: how much each feature's splits shortened the
   * row's paths compared with a typical training row. Signed; the values add up to c(ψ) − E[h(x)], which
   * is positive exactly when the score is above 0.5.
   *
   * Method: a node holding n training rows leaves a typical row an expected c(n) more steps to go. Going
   * from a node with n rows to a child with m rows spends one step and leaves c(m), so it changes the
   * expected path by c(n) − 1 − c(m): a large gain when the split cut the row off from most of its
   * neighbours, slightly negative when it kept the row with the crowd. Along a path these changes
   * telescope to c(ψ) − depth − c(leaf size) = c(ψ) − h(x); crediting each to the feature split on and
   * averaging over the trees decomposes the score's exponent exactly, feature by feature. Zero when the row
   * holds a non-finite value.
   */
  shortening (row: ArrayLike<number>, out: Float64Array, offset = 0): Float64Array {
    const nF = this.nFeatures
    out.fill(0, 0, nF)
    for (let f = 0; f < nF; f++) if (!Number.isFinite(row[offset + f])) return out
    const { roots, feature, value } = this.trees
    const right = this.layout.right
    // A compact forest keeps no gains; explanations are rare (an alert), so they are computed for the call.
    const gain = this.layout.gain ?? nodeGains(this.trees, nF, this.sampleSize)
    for (let t = 0; t < this.nTrees; t++) {
      let node = roots[t]
      let f = feature[node]
      while (f >= 0) {
        node = row[offset + f] < value[node] ? node + 1 : right[node]
        out[f] += gain[node]
        f = feature[node]
      }
    }
    for (let f = 0; f < nF; f++) out[f] /= this.nTrees
    return out
  }

  /**
   * Which features drove a row's anomaly, as shares that sum to 1: the positive part of each feature's
   * path shortening (see {@link shortening}) over the total of the positive parts. Equal shares when no
   * feature shortened the paths (a typical row: none stands out); all zero when the row holds a
   * non-finite value.
   */
  contributions (row: ArrayLike<number>, out: Float64Array, offset = 0): Float64Array {
    const nF = this.nFeatures
    for (let f = 0; f < nF; f++) if (!Number.isFinite(row[offset + f])) return out.fill(0, 0, nF)
    this.shortening(row, out, offset)
    let sum = 0
    for (let f = 0; f < nF; f++) {
      if (out[f] < 0) out[f] = 0
      sum += out[f]
    }
    if (sum > 0) for (let f = 0; f < nF; f++) out[f] /= sum
    else out.fill(1 / nF, 0, nF)
    return out
  }

  private toScore (pathSum: number): number {
    return Math.pow(2, -(pathSum / this.nTrees) / this.normaliser)
  }

  /** Sum over the trees of the path length, walking the pre-order trees (compact layout, or too deep for the complete one). */
  private sparsePathSum (row: ArrayLike<number>, offset: number): number {
    const { roots, feature, value } = this.trees
    const { right, pathLength } = this.layout
    let total = 0
    if (pathLength === null) {
      const leafPath = this.leafPathLengths as Float64Array
      for (let t = 0; t < this.nTrees; t++) {
        let node = roots[t]
        let f = feature[node]
        let depth = 0
        while (f >= 0) {
          node = row[offset + f] < value[node] ? node + 1 : right[node]
          f = feature[node]
          depth++
        }
        // The same expression as the stored path length of the fast layout, so the same double.
        total += depth + leafPath[value[node]]
      }
      return total
    }
    for (let t = 0; t < this.nTrees; t++) {
      let node = roots[t]
      let f = feature[node]
      while (f >= 0) {
        node = row[offset + f] < value[node] ? node + 1 : right[node]
        f = feature[node]
      }
      total += pathLength[node]
    }
    return total
  }
}

function validateOptions (o: ForestOptions): void {
  if (typeof o !== 'object' || o === null) throw new ForestInputError('options must be an object')
  if (!Number.isInteger(o.nEstimators) || o.nEstimators < 1 || o.nEstimators > 10000) {
    throw new ForestInputError(`nEstimators must be an integer from 1 to 10000, got ${o.nEstimators}`)
  }
  if (o.maxSamples !== 'auto' && (!Number.isInteger(o.maxSamples) || o.maxSamples < 2)) {
    throw new ForestInputError(`maxSamples must be "auto" or an integer >= 2, got ${o.maxSamples}`)
  }
  if (o.contamination !== 'auto' && !(typeof o.contamination === 'number' && o.contamination > 0 && o.contamination <= 0.5)) {
    throw new ForestInputError(`contamination must be "auto" or a fraction in (0, 0.5], got ${o.contamination}`)
  }
  if (!Number.isInteger(o.seed)) throw new ForestInputError(`seed must be an integer, got ${o.seed}`)
}

function assertFinite (data: Float64Array, nFeatures: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new ForestInputError(`value at row ${Math.floor(i / nFeatures)}, feature ${i % nFeatures} is ${data[i]}: the forest needs finite numbers`)
    }
  }
}

/** Linear-interpolated quantile (numpy's default), q in [0, 1]. */
export function quantile (values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort()
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

import { Random } from '../random.js'
import { averagePathLength } from './path-length.js'

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

/** Thrown for input the forest cannot learn from or score. */
export class ForestInputError extends Error {
  override name = 'ForestInputError'
}

/** The serialisable state of a trained forest. */
export interface ForestState {
  nFeatures: number
  sampleSize: number
  threshold: number
  options: ForestOptions
  /** Index of each tree's root node. */
  roots: Int32Array
  /** Split feature per node; -1 marks an external node. */
  feature: Int32Array
  /** Split value per internal node; for an external node, its depth plus c(size). */
  value: Float64Array
  /** Left child per internal node; the right child is left + 1. */
  left: Int32Array
}

/**
 * Isolation Forest (Liu, Ting & Zhou 2008) with scikit-learn's conventions. Trees live in flat typed
 * arrays; scoring walks them without allocating.
 */
export class IsolationForest {
  readonly nFeatures: number
  readonly sampleSize: number
  readonly threshold: number
  readonly options: ForestOptions
  readonly nTrees: number
  private readonly roots: Int32Array
  private readonly feature: Int32Array
  private readonly value: Float64Array
  private readonly left: Int32Array
  private readonly normaliser: number

  constructor (state: ForestState) {
    this.nFeatures = state.nFeatures
    this.sampleSize = state.sampleSize
    this.threshold = state.threshold
    this.options = { ...state.options }
    this.roots = state.roots
    this.feature = state.feature
    this.value = state.value
    this.left = state.left
    this.nTrees = state.roots.length
    this.normaliser = averagePathLength(state.sampleSize)
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
    const builder = new TreeBuilder(data, nFeatures, nRows, sampleSize, new Random(opts.seed))
    const roots = new Int32Array(opts.nEstimators)
    for (let t = 0; t < opts.nEstimators; t++) roots[t] = builder.grow()
    const partial = new IsolationForest({ nFeatures, sampleSize, threshold: 0.5, options: opts, roots, ...builder.arrays() })
    const threshold = opts.contamination === 'auto'
      ? 0.5
      : quantile(partial.scoreBatch(data), 1 - opts.contamination)
    return new IsolationForest({ ...partial.state(), threshold })
  }

  /** The arrays and settings that define this forest (for serialisation). */
  state (): ForestState {
    return {
      nFeatures: this.nFeatures,
      sampleSize: this.sampleSize,
      threshold: this.threshold,
      options: { ...this.options },
      roots: this.roots,
      feature: this.feature,
      value: this.value,
      left: this.left
    }
  }

  /** Anomaly score s = 2^(−E[h(x)]/c(ψ)) of the row starting at `offset`; higher is more anomalous. */
  score (row: ArrayLike<number>, offset = 0): number {
    const { roots, feature, value, left } = this
    // A non-finite value would silently take the right branch everywhere; NaN says "no score" instead.
    for (let f = 0; f < this.nFeatures; f++) if (!Number.isFinite(row[offset + f])) return NaN
    // One training row: c(1) = 0 and every path is 0 long; scikit-learn defines the score as 0.5.
    if (this.normaliser === 0) return 0.5
    let total = 0
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]
      let f = feature[node]
      while (f >= 0) {
        node = left[node] + (row[offset + f] < value[node] ? 0 : 1)
        f = feature[node]
      }
      total += value[node]
    }
    return Math.pow(2, -(total / roots.length) / this.normaliser)
  }

  /** Scores every row of a row-major matrix; writes into `out` when given. */
  scoreBatch (data: Float64Array, out?: Float64Array): Float64Array {
    const nRows = data.length / this.nFeatures
    const result = out ?? new Float64Array(nRows)
    for (let r = 0; r < nRows; r++) result[r] = this.score(data, r * this.nFeatures)
    return result
  }

  /**
   * How much each feature drove the isolation of a row: over all trees, each split on the path counts
   * for its feature, weighted by how short that path was (short paths mean anomalous). Shares sum to 1.
   */
  contributions (row: ArrayLike<number>, out: Float64Array, offset = 0): Float64Array {
    out.fill(0, 0, this.nFeatures)
    const { roots, feature, value, left } = this
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]
      let depth = 0
      let f = feature[node]
      while (f >= 0) {
        node = left[node] + (row[offset + f] < value[node] ? 0 : 1)
        f = feature[node]
        depth++
      }
      if (depth === 0) continue
      const weight = this.normaliser / value[node] / depth
      node = roots[t]
      f = feature[node]
      while (f >= 0) {
        out[f] += weight
        node = left[node] + (row[offset + f] < value[node] ? 0 : 1)
        f = feature[node]
      }
    }
    let sum = 0
    for (let i = 0; i < this.nFeatures; i++) sum += out[i]
    if (sum > 0) for (let i = 0; i < this.nFeatures; i++) out[i] /= sum
    return out
  }
}

function validateOptions (o: ForestOptions): void {
  if (!Number.isInteger(o.nEstimators) || o.nEstimators < 1 || o.nEstimators > 10000) {
    throw new ForestInputError(`nEstimators must be an integer from 1 to 10000, got ${o.nEstimators}`)
  }
  if (o.maxSamples !== 'auto' && (!Number.isInteger(o.maxSamples) || o.maxSamples < 2)) {
    throw new ForestInputError(`maxSamples must be "auto" or an integer >= 2, got ${o.maxSamples}`)
  }
  if (o.contamination !== 'auto' && !(o.contamination > 0 && o.contamination <= 0.5)) {
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

/** Grows trees into growable flat arrays. */
class TreeBuilder {
  private feature = new Int32Array(1024)
  private value = new Float64Array(1024)
  private left = new Int32Array(1024)
  private nodes = 0
  private readonly indices: Int32Array
  private readonly sample: Int32Array
  private readonly heightLimit: number
  private readonly candidates: Int32Array
  private readonly lows: Float64Array
  private readonly highs: Float64Array

  constructor (
    private readonly data: Float64Array,
    private readonly nFeatures: number,
    private readonly nRows: number,
    private readonly sampleSize: number,
    private readonly random: Random
  ) {
    this.indices = new Int32Array(nRows)
    this.sample = new Int32Array(sampleSize)
    this.heightLimit = Math.ceil(Math.log2(Math.max(sampleSize, 2)))
    this.candidates = new Int32Array(nFeatures)
    this.lows = new Float64Array(nFeatures)
    this.highs = new Float64Array(nFeatures)
  }

  arrays (): { feature: Int32Array, value: Float64Array, left: Int32Array } {
    return { feature: this.feature.slice(0, this.nodes), value: this.value.slice(0, this.nodes), left: this.left.slice(0, this.nodes) }
  }

  /** Grows one tree on a fresh sub-sample; returns its root index. */
  grow (): number {
    // Partial Fisher–Yates: the first sampleSize entries become a uniform sample without replacement.
    for (let i = 0; i < this.nRows; i++) this.indices[i] = i
    for (let i = 0; i < this.sampleSize; i++) {
      const j = i + this.random.int(this.nRows - i)
      const tmp = this.indices[i]
      this.indices[i] = this.indices[j]
      this.indices[j] = tmp
      this.sample[i] = this.indices[i]
    }
    const root = this.allocate(1)
    // Explicit stack of (node, start, end, depth) instead of recursion.
    const stack: number[] = [root, 0, this.sampleSize, 0]
    while (stack.length > 0) {
      const depth = stack.pop() as number
      const end = stack.pop() as number
      const start = stack.pop() as number
      const node = stack.pop() as number
      const size = end - start
      if (depth >= this.heightLimit || size <= 1 || !this.split(node, start, end)) {
        this.feature[node] = -1
        this.value[node] = depth + averagePathLength(size)
        continue
      }
      const mid = this.partition(start, end, this.feature[node], this.value[node])
      const child = this.allocate(2)
      this.left[node] = child
      stack.push(child + 1, mid, end, depth + 1)
      stack.push(child, start, mid, depth + 1)
    }
    return root
  }

  /** Chooses a random non-constant feature and a split value for rows [start, end); false if all are constant. */
  private split (node: number, start: number, end: number): boolean {
    const { data, nFeatures, sample, lows, highs, candidates } = this
    lows.fill(Infinity)
    highs.fill(-Infinity)
    for (let i = start; i < end; i++) {
      const base = sample[i] * nFeatures
      for (let f = 0; f < nFeatures; f++) {
        const v = data[base + f]
        if (v < lows[f]) lows[f] = v
        if (v > highs[f]) highs[f] = v
      }
    }
    let n = 0
    for (let f = 0; f < nFeatures; f++) if (highs[f] > lows[f]) candidates[n++] = f
    if (n === 0) return false
    const f = candidates[this.random.int(n)]
    let threshold = this.random.uniform(lows[f], highs[f])
    // Rows equal to the threshold go right; a threshold at the minimum would leave the left side empty.
    if (threshold <= lows[f]) threshold = highs[f]
    this.feature[node] = f
    this.value[node] = threshold
    return true
  }

  private partition (start: number, end: number, f: number, threshold: number): number {
    const { data, nFeatures, sample } = this
    let i = start
    let j = end - 1
    while (i <= j) {
      if (data[sample[i] * nFeatures + f] < threshold) {
        i++
      } else {
        const tmp = sample[i]
        sample[i] = sample[j]
        sample[j] = tmp
        j--
      }
    }
    return i
  }

  private allocate (count: number): number {
    if (this.nodes + count > this.feature.length) {
      const capacity = this.feature.length * 2
      this.feature = grow(this.feature, new Int32Array(capacity))
      this.value = grow(this.value, new Float64Array(capacity))
      this.left = grow(this.left, new Int32Array(capacity))
    }
    const index = this.nodes
    this.nodes += count
    for (let i = index; i < this.nodes; i++) {
      this.feature[i] = -1
      this.left[i] = -1
    }
    return index
  }
}

function grow<T extends Int32Array | Float64Array> (from: T, to: T): T {
  to.set(from)
  return to
}

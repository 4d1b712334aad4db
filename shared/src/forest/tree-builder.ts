import type { Random } from '../random.js'

/** Trees in pre-order (a node, then its left subtree, then its right subtree), all trees back to back. */
export interface PreorderTrees {
  /** First node of each tree. */
  roots: Int32Array
  /** Split feature per node; -1 marks an external node. */
  feature: Int32Array
  /** Split value of an internal node (rows below it go left); training rows that reached an external node. */
  value: Float64Array
}

/** Height limit of a tree grown on `sampleSize` rows: ceil(log2 ψ), as in Liu et al. and scikit-learn. */
export function heightLimit (sampleSize: number): number {
  return Math.ceil(Math.log2(Math.max(sampleSize, 2)))
}

/**
 * Grows isolation trees: each on a fresh sub-sample drawn without replacement, splitting on a uniformly
 * chosen feature that is not constant in the node, at a uniform value between the node's min and max.
 */
export class TreeBuilder {
  private feature = new Int32Array(4096)
  private value = new Float64Array(4096)
  private nodes = 0
  /** A permutation of all rows; each tree's sample is a partial Fisher–Yates shuffle of it. */
  private readonly indices: Int32Array
  private readonly sample: Int32Array
  private readonly maxDepth: number
  /** Pending (start, end, depth) ranges; depth-first, so at most maxDepth + 1 are pending. */
  private readonly stack: Int32Array
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
    this.indices = Int32Array.from({ length: nRows }, (_, i) => i)
    this.sample = new Int32Array(sampleSize)
    this.maxDepth = heightLimit(sampleSize)
    this.stack = new Int32Array(3 * (this.maxDepth + 2))
    this.candidates = new Int32Array(nFeatures)
    this.lows = new Float64Array(nFeatures)
    this.highs = new Float64Array(nFeatures)
  }

  /** Grows `count` trees. */
  build (count: number): PreorderTrees {
    const roots = new Int32Array(count)
    for (let t = 0; t < count; t++) roots[t] = this.grow()
    return { roots, feature: this.feature.slice(0, this.nodes), value: this.value.slice(0, this.nodes) }
  }

  /** Grows one tree on a fresh sub-sample; returns its root index. */
  private grow (): number {
    const { indices, sample, stack, random, sampleSize } = this
    // The first sampleSize entries of a partial Fisher–Yates shuffle are a uniform sample without
    // replacement whatever order the permutation was left in by the previous tree, so no reset is needed.
    for (let i = 0; i < sampleSize; i++) {
      const j = i + random.int(this.nRows - i)
      const tmp = indices[i]
      indices[i] = indices[j]
      indices[j] = tmp
      sample[i] = indices[i]
    }
    const root = this.nodes
    let top = 0
    stack[top++] = 0
    stack[top++] = sampleSize
    stack[top++] = 0
    while (top > 0) {
      const depth = stack[--top]
      const end = stack[--top]
      const start = stack[--top]
      // Allocating when popped, with the left range popped first, numbers the nodes in pre-order.
      const node = this.allocate()
      if (depth >= this.maxDepth || end - start <= 1 || !this.split(node, start, end)) {
        this.feature[node] = -1
        this.value[node] = end - start
        continue
      }
      const mid = this.partition(start, end, this.feature[node], this.value[node])
      stack[top++] = mid
      stack[top++] = end
      stack[top++] = depth + 1
      stack[top++] = start
      stack[top++] = mid
      stack[top++] = depth + 1
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
    // Rows below the split go left; a split at the minimum would leave the left side empty.
    if (threshold <= lows[f]) threshold = highs[f]
    this.feature[node] = f
    this.value[node] = threshold
    return true
  }

  /** Moves rows below the split to the front of [start, end); returns where the right side begins. */
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

  private allocate (): number {
    if (this.nodes === this.feature.length) {
      const feature = new Int32Array(this.nodes * 2)
      feature.set(this.feature)
      this.feature = feature
      const value = new Float64Array(this.nodes * 2)
      value.set(this.value)
      this.value = value
    }
    return this.nodes++
  }
}

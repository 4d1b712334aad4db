import { ForestInputError } from '../errors.js'
import { averagePathLength } from './path-length.js'
import { heightLimit, type PreorderTrees } from './tree-builder.js'

/**
 * Deepest height limit laid out as complete trees: 2^10 leaves per tree (ψ ≤ 1024). Deeper forests
 * (larger maxSamples) would need too much memory that way and are walked node by node instead.
 */
export const MAX_COMPLETE_DEPTH = 10

/**
 * What scoring needs, derived from the pre-order trees (which are what gets stored).
 *
 * The complete layout is the fast path: every tree is padded to a complete binary tree of depth D (the
 * height limit) in heap order, the children of internal slot i being 2i+1 and 2i+2. An external node
 * above depth D becomes a pass-through slot that sends every row left, down to the leaf slot that holds
 * its path length. Scoring then takes exactly D steps per tree with no test for "is this a leaf".
 *
 * Splits are compared as integers, without a branch: `cuts` holds each feature's distinct split values,
 * sorted; a slot stores its split's rank r among them, and a row value x is first turned into its bin
 * b = number of cuts <= x. Then x >= split exactly when b > r, i.e. when (r − b) is negative, so a step
 * is `i = 2i + 1 + ((r − b) >>> 31)`: the same comparison as in training, with no unpredictable branch
 * (a pass-through slot has r = 2^31 − 1, so every row goes left).
 */
export interface ForestLayout {
  nTrees: number
  maxDepth: number
  /** Right child of each pre-order node (the left one is node + 1); -1 for external nodes. */
  right: Int32Array
  /** External nodes: depth + c(size), the path length of a row that ends there. Null in the compact layout (computed while walking). */
  pathLength: Float64Array | null
  /**
   * Change of expected remaining path length on entering a node from its parent:
   * c(size(parent)) − 1 − c(size(node)); 0 for a root. Positive when the split cut the row off from most
   * of its parent's rows. See IsolationForest.shortening. Null in the compact layout (see {@link nodeGains}).
   */
  gain: Float64Array | null
  /** Complete layout, or null when maxDepth > MAX_COMPLETE_DEPTH. */
  complete: null | CompleteLayout
}

/** Trees padded to depth D in heap order; see {@link ForestLayout}. */
export interface CompleteLayout {
  /** Internal slots per tree: 2^D − 1. */
  slots: number
  /** Split feature per internal slot. */
  feature: Int32Array
  /** Rank of the split value among its feature's cuts; PASS_THROUGH for a pass-through slot. */
  rank: Int32Array
  /** Path length per leaf slot, 2^D per tree. */
  leaf: Float64Array
  /** Distinct split values of every feature, sorted; feature f's are cuts[cutStart[f] .. cutStart[f + 1]). */
  cuts: Float64Array
  cutStart: Int32Array
}

/** Rank of a pass-through slot: larger than any bin, so every row goes left. */
export const PASS_THROUGH = 0x7fffffff

/**
 * How a forest is laid out in memory for scoring. `fast`: the complete layout (see {@link ForestLayout})
 * plus per-node path lengths and gains, several times the size of the trees. `compact`: only the
 * right-child links, one Int32 per node beside the trees themselves; a row then walks the pre-order
 * trees and leaf path lengths are computed on the way, giving bit-identical scores more slowly. For
 * processes that hold many small forests (a self-learned baseline per machine).
 */
export type LayoutMode = 'fast' | 'compact'

/** Validates pre-order trees (structure, features, sizes, depth) and derives the scoring layout. */
export function layOutForest (trees: PreorderTrees, nFeatures: number, sampleSize: number, mode: LayoutMode = 'fast'): ForestLayout {
  const { roots, feature, value } = trees
  const n = feature.length
  if (value.length !== n) throw new ForestInputError(`forest has ${n} features but ${value.length} values`)
  if (roots.length < 1) throw new ForestInputError('forest has no trees')
  if (!Number.isInteger(sampleSize) || sampleSize < 1) throw new ForestInputError(`sample size must be a positive integer, got ${sampleSize}`)
  const maxDepth = heightLimit(sampleSize)
  const slots = mode === 'fast' && maxDepth <= MAX_COMPLETE_DEPTH ? (1 << maxDepth) - 1 : 0
  const layout: ForestLayout = {
    nTrees: roots.length,
    maxDepth,
    right: new Int32Array(n).fill(-1),
    pathLength: mode === 'fast' ? new Float64Array(n) : null,
    gain: mode === 'fast' ? new Float64Array(n) : null,
    complete: null
  }
  const split = new Float64Array(roots.length * slots)
  const complete: CompleteLayout | null = slots === 0
    ? null
    : { slots, feature: new Int32Array(roots.length * slots), rank: new Int32Array(roots.length * slots), leaf: new Float64Array(roots.length * (slots + 1)), cuts: new Float64Array(0), cutStart: new Int32Array(nFeatures + 1) }
  const walker = new TreeWalker(trees, nFeatures, layout, complete, split)
  for (let t = 0; t < roots.length; t++) {
    const end = t + 1 < roots.length ? roots[t + 1] : n
    if (roots[t] !== walker.next) throw new ForestInputError(`tree ${t} starts at node ${roots[t]}, expected ${walker.next}`)
    const size = walker.visit(t, 0, 0)
    if (walker.next !== end) throw new ForestInputError(`tree ${t} ends at node ${walker.next}, expected ${end}`)
    if (size !== sampleSize) throw new ForestInputError(`tree ${t} holds ${size} training rows, expected the sample size ${sampleSize}`)
  }
  if (complete !== null) rankSplits(complete, split, trees, nFeatures)
  layout.complete = complete
  return layout
}

/** The gains of a forest's nodes (see {@link ForestLayout.gain}), for a compact layout that does not keep them. */
export function nodeGains (trees: PreorderTrees, nFeatures: number, sampleSize: number): Float64Array {
  const layout: ForestLayout = { nTrees: trees.roots.length, maxDepth: heightLimit(sampleSize), right: new Int32Array(trees.feature.length), pathLength: null, gain: new Float64Array(trees.feature.length), complete: null }
  const walker = new TreeWalker(trees, nFeatures, layout, null, new Float64Array(0))
  for (let t = 0; t < trees.roots.length; t++) walker.visit(t, 0, 0)
  return layout.gain as Float64Array
}

/** Collects each feature's distinct split values and replaces every slot's split by its rank among them. */
function rankSplits (complete: CompleteLayout, split: Float64Array, trees: PreorderTrees, nFeatures: number): void {
  const perFeature: number[][] = Array.from({ length: nFeatures }, () => [])
  for (let i = 0; i < trees.feature.length; i++) if (trees.feature[i] >= 0) perFeature[trees.feature[i]].push(trees.value[i])
  const sorted = perFeature.map((values) => Float64Array.from(new Set(values)).sort())
  complete.cuts = new Float64Array(sorted.reduce((n, a) => n + a.length, 0))
  for (let f = 0, at = 0; f < nFeatures; f++) {
    complete.cutStart[f] = at
    complete.cuts.set(sorted[f], at)
    at += sorted[f].length
    complete.cutStart[f + 1] = at
  }
  const { feature, rank, cuts, cutStart } = complete
  for (let k = 0; k < split.length; k++) {
    if (rank[k] === PASS_THROUGH) continue
    // Count of the feature's cuts below the split: its index among them.
    let lo = cutStart[feature[k]]
    let hi = cutStart[feature[k] + 1]
    const base = lo
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cuts[mid] < split[k]) lo = mid + 1
      else hi = mid
    }
    rank[k] = lo - base
  }
}

/** Recursive pre-order walk; the recursion is bounded by the height limit, which it checks first. */
class TreeWalker {
  next = 0

  constructor (
    private readonly trees: PreorderTrees,
    private readonly nFeatures: number,
    private readonly layout: ForestLayout,
    private readonly complete: CompleteLayout | null,
    /** Split value per internal slot of the complete layout, turned into ranks at the end. */
    private readonly split: Float64Array
  ) {}

  /** Visits the subtree at `next`, placed at heap slot `heap`; returns its number of training rows. */
  visit (tree: number, depth: number, heap: number): number {
    const node = this.next++
    const { feature, value } = this.trees
    const { layout, complete } = this
    const slots = complete === null ? 0 : complete.slots
    if (node >= feature.length) throw new ForestInputError(`tree ${tree} is cut short at node ${node}`)
    if (depth > layout.maxDepth) throw new ForestInputError(`tree ${tree} is deeper than the height limit ${layout.maxDepth}`)
    const f = feature[node]
    const v = value[node]
    if (f === -1) {
      if (!Number.isInteger(v) || v < 1) throw new ForestInputError(`external node ${node} has size ${v}, expected a positive integer`)
      const path = depth + averagePathLength(v)
      if (layout.pathLength !== null) layout.pathLength[node] = path
      if (complete !== null) {
        // Pass-through slots below an early external node send every row left, to its leaf slot.
        let slot = heap
        for (let d = depth; d < layout.maxDepth; d++) {
          complete.rank[tree * slots + slot] = PASS_THROUGH
          slot = 2 * slot + 1
        }
        complete.leaf[tree * (slots + 1) + slot - slots] = path
      }
      return v
    }
    if (!Number.isInteger(f) || f < 0 || f >= this.nFeatures) throw new ForestInputError(`node ${node} splits on feature ${f}, expected 0 to ${this.nFeatures - 1} or -1`)
    if (!Number.isFinite(v)) throw new ForestInputError(`node ${node} has a non-finite split ${v}`)
    if (depth === layout.maxDepth) throw new ForestInputError(`tree ${tree} splits below the height limit ${layout.maxDepth}`)
    if (complete !== null) {
      complete.feature[tree * slots + heap] = f
      this.split[tree * slots + heap] = v
    }
    const left = this.next
    const leftSize = this.visit(tree, depth + 1, 2 * heap + 1)
    layout.right[node] = this.next
    const rightNode = this.next
    const rightSize = this.visit(tree, depth + 1, 2 * heap + 2)
    const size = leftSize + rightSize
    if (layout.gain !== null) {
      const c = averagePathLength(size)
      layout.gain[left] = c - 1 - averagePathLength(leftSize)
      layout.gain[rightNode] = c - 1 - averagePathLength(rightSize)
    }
    return size
  }
}

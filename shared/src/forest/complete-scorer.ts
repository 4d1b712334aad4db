import type { CompleteLayout } from './forest-layout.js'

/** Rows scored together by pathSums: their bins and sums stay in L1 cache while every tree passes over them. */
export const BLOCK_ROWS = 256

/**
 * Walks the complete layout (see ForestLayout). Each walk is a chain of dependent loads, so four walks
 * (four trees for one row, four rows for one tree) are interleaved to keep the CPU busy while the chains
 * wait on memory. Holds its own scratch space: scoring allocates nothing.
 */
export class CompleteScorer {
  private readonly bins: Int32Array

  constructor (
    private readonly layout: CompleteLayout,
    private readonly nTrees: number,
    private readonly depth: number,
    private readonly nFeatures: number
  ) {
    this.bins = new Int32Array(BLOCK_ROWS * nFeatures)
  }

  /** Sum over the trees of the path length of the row at `offset`. */
  rowPathSum (row: ArrayLike<number>, offset: number): number {
    const { feature, rank, leaf, slots } = this.layout
    const bins = this.bins
    const depth = this.depth
    this.bin(row, offset, 1)
    let total = 0
    let t = 0
    let nodes = 0
    let leaves = -slots
    for (; t + 3 < this.nTrees; t += 4, nodes += 4 * slots, leaves += 4 * (slots + 1)) {
      const n1 = nodes + slots
      const n2 = n1 + slots
      const n3 = n2 + slots
      let a = 0
      let b = 0
      let c = 0
      let e = 0
      for (let d = 0; d < depth; d++) {
        a = 2 * a + 1 + ((rank[nodes + a] - bins[feature[nodes + a]]) >>> 31)
        b = 2 * b + 1 + ((rank[n1 + b] - bins[feature[n1 + b]]) >>> 31)
        c = 2 * c + 1 + ((rank[n2 + c] - bins[feature[n2 + c]]) >>> 31)
        e = 2 * e + 1 + ((rank[n3 + e] - bins[feature[n3 + e]]) >>> 31)
      }
      // Added in tree order, as in pathSums, so that both give bit-identical scores.
      total += leaf[leaves + a]
      total += leaf[leaves + slots + 1 + b]
      total += leaf[leaves + 2 * (slots + 1) + c]
      total += leaf[leaves + 3 * (slots + 1) + e]
    }
    for (; t < this.nTrees; t++, nodes += slots, leaves += slots + 1) {
      let i = 0
      for (let d = 0; d < depth; d++) i = 2 * i + 1 + ((rank[nodes + i] - bins[feature[nodes + i]]) >>> 31)
      total += leaf[leaves + i]
    }
    return total
  }

  /** Writes the path-length sums of rows first .. first + count − 1 (count <= BLOCK_ROWS) to out[first ..]. */
  pathSums (data: Float64Array, first: number, count: number, out: Float64Array): void {
    const { feature, rank, leaf, slots } = this.layout
    const bins = this.bins
    const depth = this.depth
    const nF = this.nFeatures
    this.bin(data, first * nF, count)
    out.fill(0, first, first + count)
    const end = first + count
    for (let t = 0, nodes = 0, leaves = -slots; t < this.nTrees; t++, nodes += slots, leaves += slots + 1) {
      let r = first
      let base = 0
      for (; r + 3 < end; r += 4, base += 4 * nF) {
        const b1 = base + nF
        const b2 = b1 + nF
        const b3 = b2 + nF
        let a = 0
        let b = 0
        let c = 0
        let e = 0
        for (let d = 0; d < depth; d++) {
          a = 2 * a + 1 + ((rank[nodes + a] - bins[base + feature[nodes + a]]) >>> 31)
          b = 2 * b + 1 + ((rank[nodes + b] - bins[b1 + feature[nodes + b]]) >>> 31)
          c = 2 * c + 1 + ((rank[nodes + c] - bins[b2 + feature[nodes + c]]) >>> 31)
          e = 2 * e + 1 + ((rank[nodes + e] - bins[b3 + feature[nodes + e]]) >>> 31)
        }
        out[r] += leaf[leaves + a]
        out[r + 1] += leaf[leaves + b]
        out[r + 2] += leaf[leaves + c]
        out[r + 3] += leaf[leaves + e]
      }
      for (; r < end; r++, base += nF) {
        let i = 0
        for (let d = 0; d < depth; d++) i = 2 * i + 1 + ((rank[nodes + i] - bins[base + feature[nodes + i]]) >>> 31)
        out[r] += leaf[leaves + i]
      }
    }
  }

  /** Bins of `count` consecutive rows starting at `offset`: per value, the number of its feature's cuts <= it. */
  private bin (data: ArrayLike<number>, offset: number, count: number): void {
    const { cuts, cutStart } = this.layout
    const bins = this.bins
    const nF = this.nFeatures
    for (let f = 0; f < nF; f++) {
      const first = cutStart[f]
      const last = cutStart[f + 1]
      for (let r = 0, at = offset + f; r < count; r++, at += nF) {
        const x = data[at]
        let lo = first
        let hi = last
        while (lo < hi) {
          const mid = (lo + hi) >> 1
          if (cuts[mid] <= x) lo = mid + 1
          else hi = mid
        }
        bins[r * nF + f] = lo - first
      }
    }
  }
}

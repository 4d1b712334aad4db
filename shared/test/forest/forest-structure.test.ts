import { test } from 'node:test'
import assert from 'node:assert/strict'
import { IsolationForest, ForestInputError, averagePathLength, type ForestState } from '../../src/ml.js'
import { loadParityFixture } from './fixture.js'

const { data, nFeatures } = loadParityFixture()

/** Index just past the subtree that starts at `node` (pre-order is self-delimiting). */
function skip (state: ForestState, node: number): number {
  let open = 1
  let i = node
  while (open > 0) open += state.feature[i++] >= 0 ? 1 : -1
  return i
}

/** Straightforward walk of the stored pre-order trees: the definition the fast layouts must reproduce. */
function referenceScore (state: ForestState, row: ArrayLike<number>): number {
  let total = 0
  for (const root of state.roots) {
    let node = root
    let depth = 0
    while (state.feature[node] >= 0) {
      node = row[state.feature[node]] < state.value[node] ? node + 1 : skip(state, node + 1)
      depth++
    }
    total += depth + averagePathLength(state.value[node])
  }
  return Math.pow(2, -(total / state.roots.length) / averagePathLength(state.sampleSize))
}

/** Depth and size of every external node of tree t. */
function leaves (state: ForestState, t: number): Array<{ node: number, depth: number, size: number }> {
  const out: Array<{ node: number, depth: number, size: number }> = []
  const visit = (node: number, depth: number): number => {
    if (state.feature[node] < 0) {
      out.push({ node, depth, size: state.value[node] })
      return node + 1
    }
    return visit(visit(node + 1, depth + 1), depth + 1)
  }
  visit(state.roots[t], 0)
  return out
}

test('the complete-tree layout scores exactly like a plain walk of the stored trees', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 50, seed: 5 })
  const state = forest.state()
  const scores = forest.scoreBatch(data)
  for (let r = 0; r < data.length / nFeatures; r += 7) {
    const row = data.subarray(r * nFeatures, (r + 1) * nFeatures)
    assert.equal(scores[r], referenceScore(state, row))
  }
  // Values exactly at split points take the same side as in training.
  const onSplit = Float64Array.from(data.subarray(0, nFeatures))
  for (let i = 0; i < 200; i++) {
    const f = state.feature[i]
    if (f < 0) continue
    onSplit[f] = state.value[i]
    assert.equal(forest.score(onSplit), referenceScore(state, onSplit))
  }
})

test('forests too deep for the complete layout (maxSamples > 1024) are walked node by node, with the same results', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 10, maxSamples: 2000, seed: 5 })
  const state = forest.state()
  assert.equal(state.sampleSize, 2000)
  const scores = forest.scoreBatch(data)
  for (let r = 0; r < data.length / nFeatures; r += 11) {
    assert.equal(scores[r], referenceScore(state, data.subarray(r * nFeatures, (r + 1) * nFeatures)))
    assert.equal(forest.score(data, r * nFeatures), scores[r])
  }
})

test('the compact layout scores and explains exactly like the fast one, with far less memory', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 40, maxSamples: 256, seed: 9, contamination: 0.02 })
  const compact = new IsolationForest(forest.state(), 'compact')
  assert.equal(compact.layoutMode, 'compact')
  assert.equal(compact.threshold, forest.threshold)
  assert.deepEqual(compact.scoreBatch(data), forest.scoreBatch(data))
  const state = forest.state()
  const fast = new Float64Array(nFeatures)
  const small = new Float64Array(nFeatures)
  for (let r = 0; r < data.length / nFeatures; r += 13) {
    assert.equal(compact.score(data, r * nFeatures), referenceScore(state, data.subarray(r * nFeatures, (r + 1) * nFeatures)))
    assert.deepEqual(compact.shortening(data, small, r * nFeatures), forest.shortening(data, fast, r * nFeatures))
    assert.deepEqual(compact.contributions(data, small, r * nFeatures), forest.contributions(data, fast, r * nFeatures))
  }
  const far = Float64Array.from(data.subarray(0, nFeatures), (v) => v * 3)
  assert.equal(compact.score(far), forest.score(far))
  // What each keeps per forest beyond the trees: the layouts' typed arrays.
  const bytes = (f: IsolationForest): number => {
    const layout = (f as unknown as { layout: Record<string, unknown> }).layout
    let total = 0
    for (const v of Object.values(layout)) {
      if (ArrayBuffer.isView(v)) total += v.byteLength
      else if (v !== null && typeof v === 'object') for (const w of Object.values(v)) if (ArrayBuffer.isView(w)) total += w.byteLength
    }
    return total
  }
  assert.ok(bytes(compact) * 10 < bytes(forest), `compact ${bytes(compact)} bytes, fast ${bytes(forest)} bytes`)
  assert.equal(bytes(compact), 4 * state.feature.length, 'compact keeps only the right-child links')
})

test('trees respect the height limit ceil(log2 ψ) and hold exactly ψ rows each', () => {
  for (const maxSamples of [2, 3, 100, 256]) {
    const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 20, maxSamples, seed: 9 })
    const state = forest.state()
    const limit = Math.ceil(Math.log2(maxSamples))
    for (let t = 0; t < state.roots.length; t++) {
      const ls = leaves(state, t)
      assert.ok(ls.every((l) => l.depth <= limit), `ψ=${maxSamples}: a leaf deeper than ${limit}`)
      assert.equal(ls.reduce((n, l) => n + l.size, 0), maxSamples)
    }
  }
})

test('each tree samples rows without replacement', () => {
  // 64 distinct values and ψ = 64: every tree must hold each value exactly once.
  const n = 64
  const values = Float64Array.from({ length: n }, (_, i) => i * 1.5)
  const forest = IsolationForest.fit(values, 1, { nEstimators: 30, maxSamples: n, seed: 2 })
  const state = forest.state()
  for (let t = 0; t < state.roots.length; t++) {
    const counts = new Map<number, number>()
    for (const v of values) {
      let node = state.roots[t]
      while (state.feature[node] >= 0) node = v < state.value[node] ? node + 1 : skip(state, node + 1)
      counts.set(node, (counts.get(node) ?? 0) + 1)
    }
    for (const leaf of leaves(state, t)) assert.equal(counts.get(leaf.node) ?? 0, leaf.size, `tree ${t}, leaf ${leaf.node}`)
  }
})

test('path shortening decomposes the score exactly: its sum is c(ψ) − E[h(x)]', () => {
  const forest = IsolationForest.fit(data, nFeatures, { nEstimators: 60, seed: 4 })
  const c = averagePathLength(forest.sampleSize)
  const out = new Float64Array(nFeatures)
  const shares = new Float64Array(nFeatures)
  for (const row of [[300, 310, 1500, 40, 100], [300, 310, 2800, 4, 100], [296, 305.5, 1250, 65, 240]]) {
    const s = forest.score(row)
    const meanPath = -Math.log2(s) * c
    forest.shortening(row, out)
    const sum = out.reduce((a, v) => a + v, 0)
    assert.ok(Math.abs(sum - (c - meanPath)) < 1e-9, `sum ${sum} vs c(ψ) − E[h] ${c - meanPath}`)
    assert.equal(s > 0.5, sum > 0)
    forest.contributions(row, shares)
    assert.ok(shares.every((v) => v >= 0))
    assert.ok(Math.abs(shares.reduce((a, v) => a + v, 0) - 1) < 1e-12)
  }
})

test('inconsistent trees are rejected when a forest is built from a state', () => {
  const state = IsolationForest.fit(data, nFeatures, { nEstimators: 3, maxSamples: 16, seed: 1 }).state()
  const broken = (change: (s: ForestState) => void): ForestState => {
    const s: ForestState = { ...state, roots: state.roots.slice(), feature: state.feature.slice(), value: state.value.slice() }
    change(s)
    return s
  }
  const firstLeaf = state.feature.indexOf(-1)
  const firstSplit = state.feature.findIndex((f) => f >= 0)
  assert.throws(() => new IsolationForest(broken((s) => { s.value[firstLeaf] += 1 })), (e: Error) => e instanceof ForestInputError && /holds 17 training rows, expected the sample size 16/.test(e.message))
  assert.throws(() => new IsolationForest(broken((s) => { s.value[firstLeaf] = 0.5 })), /size 0.5/)
  assert.throws(() => new IsolationForest(broken((s) => { s.feature[firstSplit] = nFeatures })), /splits on feature 5/)
  assert.throws(() => new IsolationForest(broken((s) => { s.value[firstSplit] = NaN })), /non-finite split/)
  assert.throws(() => new IsolationForest(broken((s) => { s.roots[1] += 1 })), /tree 0 ends at node \d+, expected \d+/)
  assert.throws(() => new IsolationForest(broken((s) => { s.sampleSize = 4 })), /height limit|sample size/)
  assert.throws(() => new IsolationForest(broken((s) => { s.options = { ...s.options, nEstimators: 4 } })), /3 trees but options.nEstimators is 4/)
  // The compact layout checks the trees just as much.
  assert.throws(() => new IsolationForest(broken((s) => { s.value[firstLeaf] += 1 }), 'compact'), /holds 17 training rows, expected the sample size 16/)
  assert.throws(() => new IsolationForest(broken((s) => { s.feature[firstSplit] = nFeatures }), 'compact'), /splits on feature 5/)
})

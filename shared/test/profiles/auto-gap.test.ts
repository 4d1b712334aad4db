import { test } from 'node:test'
import assert from 'node:assert/strict'
import { autoGapMs } from '../../src/profiles/auto-gap.js'

const every = (ms: number, n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i * ms)

test('auto gap: ten typical intervals, so a 5-minute series does not reset at every reading', () => {
  assert.equal(autoGapMs(every(300_000, 50)), 3_000_000)
  assert.equal(autoGapMs(every(1000, 50)), 10_000)
})

test('auto gap: the median ignores pauses, duplicates and reordering', () => {
  const ts = [...every(60_000, 30), ...every(60_000, 30, 10 * 3600_000)]
  ts.splice(5, 0, ts[4]) // a duplicate timestamp
  ts.splice(12, 0, ts[2]) // a late reading
  assert.equal(autoGapMs(ts), 600_000)
})

test('auto gap: at least one second, and unknown without two intervals', () => {
  assert.equal(autoGapMs(every(10, 100)), 1000)
  assert.equal(autoGapMs([5]), undefined)
  assert.equal(autoGapMs([5, 5, 5]), undefined)
  assert.equal(autoGapMs([0, 1000]), undefined)
})

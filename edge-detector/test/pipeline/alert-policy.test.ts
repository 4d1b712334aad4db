import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AlertTracker, BECAME_CLEARED, BECAME_RAISED, UNCHANGED, popcount, validateAlertPolicy } from '../../src/pipeline/alert-policy.js'
import { MachineTable } from '../../src/pipeline/machine-table.js'

function run (tracker: AlertTracker, scores: number[], threshold = 0.6, step = 1000): number[] {
  const table = new MachineTable(1)
  const slot = table.lookup('m')
  return scores.map((s, i) => tracker.update(table, slot, s, threshold, (i + 1) * step))
}

test('raises after k of the last m scores, not before', () => {
  const t = new AlertTracker({ k: 3, m: 5, hysteresis: 0, cooldownMs: 0 })
  assert.deepEqual(run(t, [0.7, 0.5, 0.7, 0.5, 0.7]), [UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED, BECAME_RAISED])
  assert.deepEqual(run(t, [0.7, 0.5, 0.5, 0.5, 0.5, 0.7, 0.7]), Array(7).fill(UNCHANGED), 'the first one slid out of the last five')
})

test('hysteresis: scores just under the threshold keep the alert; clearly normal scores clear it', () => {
  const t = new AlertTracker({ k: 2, m: 3, hysteresis: 0.05, cooldownMs: 0 })
  const hovering = run(t, [0.7, 0.7, 0.58, 0.58, 0.58, 0.58])
  assert.deepEqual(hovering, [UNCHANGED, BECAME_RAISED, UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED], '0.58 > 0.6 - 0.05 keeps it raised')
  const none = new AlertTracker({ k: 2, m: 3, hysteresis: 0, cooldownMs: 0 })
  assert.deepEqual(run(none, [0.7, 0.7, 0.58, 0.58]), [UNCHANGED, BECAME_RAISED, UNCHANGED, BECAME_CLEARED], 'without hysteresis the same scores clear it')
  assert.deepEqual(run(t, [0.7, 0.7, 0.5, 0.5]), [UNCHANGED, BECAME_RAISED, UNCHANGED, BECAME_CLEARED])
})

test('cooldown counts from the clear, in reading time', () => {
  const t = new AlertTracker({ k: 1, m: 1, hysteresis: 0, cooldownMs: 5000 })
  const out = run(t, [0.7, 0.5, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7])
  assert.deepEqual(out, [BECAME_RAISED, BECAME_CLEARED, UNCHANGED, UNCHANGED, UNCHANGED, UNCHANGED, BECAME_RAISED, UNCHANGED], 'cleared at 2 s, raised again at 7 s')
})

test('severity: critical at threshold + margin', () => {
  const table = new MachineTable(2)
  const t = new AlertTracker({ k: 1, m: 1, criticalMargin: 0.1 })
  const a = table.lookup('a')
  const b = table.lookup('b')
  t.update(table, a, 0.65, 0.6, 1)
  t.update(table, b, 0.75, 0.6, 1)
  assert.equal(table.severity[a], 0)
  assert.equal(table.severity[b], 1)
})

test('bad policies are refused with the setting named', () => {
  assert.throws(() => validateAlertPolicy({ k: 4, m: 3 }), /alert k/)
  assert.throws(() => validateAlertPolicy({ m: 33 }), /alert m/)
  assert.throws(() => validateAlertPolicy({ hysteresis: -1 }), /hysteresis/)
  assert.equal(popcount(0xffffffff), 32)
  assert.equal(popcount(0b1011), 3)
})

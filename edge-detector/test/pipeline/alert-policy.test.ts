import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AlertTracker, popcount, validateAlertPolicy, type AlertChange, type AlertPolicy } from '../../src/pipeline/alert-policy.js'

/** A fresh machine (slot 0 of a new tracker) scored `scores` one second apart. */
function run (policy: Partial<AlertPolicy>, scores: number[], threshold = 0.6, step = 1000): AlertChange[] {
  const tracker = new AlertTracker(1, policy)
  return scores.map((s, i) => tracker.update(0, s, threshold, (i + 1) * step))
}

test('raises after k of the last m scores, not before', () => {
  const t = { k: 3, m: 5, hysteresis: 0, cooldownMs: 0 }
  assert.deepEqual(run(t, [0.7, 0.5, 0.7, 0.5, 0.7]), ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'raised'])
  assert.deepEqual(run(t, [0.7, 0.5, 0.5, 0.5, 0.5, 0.7, 0.7]), Array(7).fill('unchanged'), 'the first one slid out of the last five')
})

test('hysteresis: scores just under the threshold keep the alert; clearly normal scores clear it', () => {
  const t = { k: 2, m: 3, hysteresis: 0.05, cooldownMs: 0 }
  const hovering = run(t, [0.7, 0.7, 0.58, 0.58, 0.58, 0.58])
  assert.deepEqual(hovering, ['unchanged', 'raised', 'unchanged', 'unchanged', 'unchanged', 'unchanged'], '0.58 > 0.6 - 0.05 keeps it raised')
  const none = { k: 2, m: 3, hysteresis: 0, cooldownMs: 0 }
  assert.deepEqual(run(none, [0.7, 0.7, 0.58, 0.58]), ['unchanged', 'raised', 'unchanged', 'cleared'], 'without hysteresis the same scores clear it')
  assert.deepEqual(run(t, [0.7, 0.7, 0.5, 0.5]), ['unchanged', 'raised', 'unchanged', 'cleared'])
})

test('cooldown counts from the clear, in reading time', () => {
  const t = { k: 1, m: 1, hysteresis: 0, cooldownMs: 5000 }
  const out = run(t, [0.7, 0.5, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7])
  assert.deepEqual(out, ['raised', 'cleared', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'raised', 'unchanged'], 'cleared at 2 s, raised again at 7 s')
})

test('severity: critical at threshold + margin', () => {
  const t = new AlertTracker(2, { k: 1, m: 1, criticalMargin: 0.1 })
  t.update(0, 0.65, 0.6, 1)
  t.update(1, 0.75, 0.6, 1)
  assert.equal(t.severityOf(0), 'warning')
  assert.equal(t.severityOf(1), 'critical')
})

test('bad policies are refused with the setting named', () => {
  assert.throws(() => validateAlertPolicy({ k: 4, m: 3 }), /alert k/)
  assert.throws(() => validateAlertPolicy({ m: 33 }), /alert m/)
  assert.throws(() => validateAlertPolicy({ hysteresis: -1 }), /hysteresis/)
  assert.equal(popcount(0xffffffff), 32)
  assert.equal(popcount(0b1011), 3)
})

test('per-machine calibration: a machine steady at a rare score is its own normal; a rise of more than the margin above it raises', () => {
  const policy = { k: 1, m: 1, hysteresis: 0, cooldownMs: 0, baselineAlpha: 0.05, baselineSmoothing: 1, baselineMargin: 0.1, baselineWarmup: 20 }
  const t = new AlertTracker(1, policy)
  const changes: string[] = []
  // 0.65 is over the model threshold of 0.6 for every reading, but it is where this machine always is.
  for (let i = 0; i < 200; i++) changes.push(t.update(0, 0.65, 0.6, i * 1000))
  assert.deepEqual(changes.filter((c) => c !== 'unchanged'), [], 'no alert for a machine at its own steady level')
  assert.ok(Math.abs(t.baseline[0] - 0.65) < 1e-9)
  assert.equal(t.update(0, 0.8, 0.6, 200_000), 'raised', '0.15 above its normal')
  assert.equal(t.update(0, 0.65, 0.6, 201_000), 'cleared')
  const fresh = new AlertTracker(1, policy)
  assert.equal(fresh.update(0, 0.5, 0.6, 0), 'unchanged')
  assert.equal(fresh.update(0, 0.9, 0.6, 1000), 'unchanged', 'nothing raises during the warm-up')
  assert.throws(() => validateAlertPolicy({ baselineAlpha: 1 }), /baseline alpha/)
})

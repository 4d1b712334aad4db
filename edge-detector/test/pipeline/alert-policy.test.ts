import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AlertTracker, popcount, validateAlertPolicy, type AlertChange, type AlertPolicy } from '../../src/pipeline/alert-policy.js'

/** A fresh machine (slot 0 of a new tracker) scored `scores` one second apart, by the k-of-m rule on raw scores (no per-machine calibration). */
function run (policy: Partial<AlertPolicy>, scores: number[], threshold = 0.6, step = 1000): AlertChange[] {
  const tracker = new AlertTracker(1, { baselineAlpha: 0, ...policy })
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
  const t = new AlertTracker(2, { k: 1, m: 1, criticalMargin: 0.1, baselineAlpha: 0 })
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

test('per-machine calibration: a machine steady at a rare score becomes its own normal; a rise of more than the margin above it raises', () => {
  const policy = { k: 1, m: 1, hysteresis: 0, cooldownMs: 0, baselineAlpha: 0.05, baselineSmoothing: 1, baselineMargin: 0.1, baselineWarmup: 20 }
  const t = new AlertTracker(1, policy)
  const changes: string[] = []
  // 0.65 is over the model threshold of 0.6 for every reading. A new machine starts from the model's
  // view (baseline 0.6 - 0.1), so it alerts after the warm-up; as the level lasts, it becomes the
  // machine's normal and the alert clears, once.
  for (let i = 0; i < 2000; i++) changes.push(t.update(0, 0.65, 0.6, i * 1000))
  assert.equal(changes.indexOf('raised'), 20, 'nothing raises during the warm-up')
  assert.deepEqual(changes.filter((c) => c !== 'unchanged'), ['raised', 'cleared'], 'a lasting level does not keep an alert up for ever')
  const clearedAt = changes.indexOf('cleared')
  assert.ok(clearedAt > 60, `learning while over is slow: a level that lasts only tens of readings stays an alert (cleared at ${clearedAt})`)
  assert.ok(Math.abs(t.baseline[0] - 0.65) < 0.02)
  assert.equal(t.update(0, 0.8, 0.6, 2_000_000), 'raised', '0.15 above its normal')
  assert.equal(t.update(0, 0.65, 0.6, 2_001_000), 'cleared')
  const restarted = new AlertTracker(1, { ...policy, baselineWarmup: 0, baselineSmoothing: 5 })
  const failing = Array.from({ length: 10 }, (_, i) => restarted.update(0, 0.9, 0.6, i * 1000))
  assert.ok(failing.includes('raised'), 'a machine first seen while failing (a detector restarted mid-failure) raises')
  assert.throws(() => validateAlertPolicy({ baselineAlpha: 1 }), /baseline alpha/)
})

test('the default policy is calibrated per machine and can raise from the first readings (no warm-up)', () => {
  const t = new AlertTracker(1)
  assert.ok(t.calibrated)
  const changes: string[] = []
  for (let i = 0; i < 10; i++) changes.push(t.update(0, 0.5, 0.6, i * 1000))
  for (let i = 10; i < 30; i++) changes.push(t.update(0, 0.8, 0.6, i * 1000))
  const raisedAt = changes.indexOf('raised')
  assert.ok(raisedAt > 10 && raisedAt < 20, `a machine that jumps at its 11th reading raises within 10 readings (at ${raisedAt})`)
  assert.ok(t.smoothed[0] > t.baseline[0] + t.policy.baselineMargin)
})

test('a machine whose profile sets its own margin is held to it; the others keep the policy\'s, through resets', () => {
  const policy = { k: 1, m: 1, hysteresis: 0, cooldownMs: 0, baselineAlpha: 0.05, baselineSmoothing: 1, baselineMargin: 0.1, baselineWarmup: 0 }
  const t = new AlertTracker(2, policy)
  t.setMargin(1, 0.25)
  t.reset(1)
  assert.equal(t.marginOf(0), 0.1)
  assert.equal(t.marginOf(1), 0.25, 'a reset keeps the margin: it belongs to the profile')
  // Both start at baseline = threshold − own margin and learn 0.5 as their normal.
  for (let i = 0; i < 400; i++) {
    t.update(0, 0.5, 0.75, i * 1000)
    t.update(1, 0.5, 0.75, i * 1000)
  }
  // A rise of 0.2: over the default margin, under the profile's.
  assert.equal(t.update(0, 0.7, 0.75, 400_000), 'raised')
  assert.equal(t.update(1, 0.7, 0.75, 400_000), 'unchanged')
  assert.equal(t.update(1, 0.8, 0.75, 401_000), 'raised', 'a rise of more than 0.25 raises it')
  const raw = new AlertTracker(1, { ...policy, baselineAlpha: 0 })
  raw.setMargin(0, 0.3)
  assert.equal(raw.marginOf(0), 0.1, 'without calibration there is no margin per machine')
})

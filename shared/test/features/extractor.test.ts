import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FeatureExtractor } from '../../src/features/extractor.js'
import { describeFeature, FeatureSpecError, parseFeatureSpec, validateFeatureSpec } from '../../src/features/spec.js'

const reading = (i: number): { temperature: number, airTemperature: number, rpm: number, torque: number, toolWear: number, humidity: number } =>
  ({ temperature: 36 + i, airTemperature: 26, rpm: 1500, torque: 40 + i, toolWear: 10 * i, humidity: 50 })

test('derived signals are physically meaningful', () => {
  const fx = new FeatureExtractor({ window: 1, features: ['tempDelta', 'power', 'strain'] })
  const out = new Float64Array(fx.size)
  fx.push(fx.createWindow(), reading(0), 0, out)
  assert.equal(out[0], 10)
  assert.ok(Math.abs(out[1] - 40 * 1500 * 2 * Math.PI / 60) < 1e-9)
  assert.equal(out[2], 0)
})

test('window statistics follow the newest readings in the ring buffer', () => {
  const fx = new FeatureExtractor({ window: 3, features: ['torque', 'torque.mean', 'torque.std', 'torque.z', 'torque.rate'] })
  const w = fx.createWindow()
  const out = new Float64Array(fx.size)
  fx.push(w, reading(0), 1000, out)
  assert.deepEqual([...out], [40, 40, 0, 0, 0])
  for (let i = 1; i < 5; i++) fx.push(w, reading(i), 1000 + i * 1000, out)
  // window holds torque 42, 43, 44
  assert.equal(out[0], 44)
  assert.equal(out[1], 43)
  assert.equal(out[2], 1)
  assert.equal(out[3], 1)
  assert.equal(out[4], 1)
  assert.deepEqual(fx.windowSpan(w), { from: 3000, to: 5000 })
  fx.resetWindow(w)
  fx.push(w, reading(9), 9000, out)
  assert.deepEqual([...out], [49, 49, 0, 0, 0])
})

test('machines have separate windows', () => {
  const fx = new FeatureExtractor({ window: 4, features: ['rpm.mean'] })
  const a = fx.createWindow()
  const b = fx.createWindow()
  const out = new Float64Array(1)
  fx.push(a, { ...reading(0), rpm: 1000 }, 0, out)
  fx.push(b, { ...reading(0), rpm: 3000 }, 0, out)
  assert.equal(out[0], 3000)
  fx.push(a, { ...reading(0), rpm: 2000 }, 1, out)
  assert.equal(out[0], 1500)
})

test('feature specifications are validated with messages that say what is allowed', () => {
  assert.throws(() => describeFeature('pressure'), (e: Error) => e instanceof FeatureSpecError && e.message.includes('known signals'))
  assert.throws(() => describeFeature('rpm.median'), /known: value, mean, std, z, rate/)
  assert.throws(() => validateFeatureSpec({ window: 1, features: ['rpm.z'] }), /at least 2 readings/)
  assert.throws(() => validateFeatureSpec({ window: 5, features: [] }), /non-empty/)
  assert.throws(() => validateFeatureSpec({ window: 5, features: ['rpm', 'rpm'] }), /repeat/)
  assert.deepEqual(parseFeatureSpec('original').features, ['temperature', 'rpm', 'humidity'])
  assert.deepEqual(parseFeatureSpec('power,rpm.z@12'), { window: 12, features: ['power', 'rpm.z'] })
  assert.equal(describeFeature('power.rate').unit, 'W/reading')
})

test('dissipation is the temperature difference times the rotational speed', () => {
  const fx = new FeatureExtractor({ window: 1, features: ['dissipation'] })
  const out = new Float64Array(fx.size)
  fx.push(fx.createWindow(), reading(2), 0, out)
  assert.equal(out[0], 12 * 1500)
})

test('a time-limited window uses only the readings within windowMs of the newest', () => {
  const fx = new FeatureExtractor({ window: 10, windowMs: 2500, features: ['torque.mean', 'torque.rate', 'torque.std'] })
  const w = fx.createWindow()
  const out = new Float64Array(fx.size)
  // torque 40, 41, 42, 43 at 0 s, 1 s, 2 s, 3 s; then 50 at 10 s, after a pause
  for (let i = 0; i < 4; i++) fx.push(w, reading(i), i * 1000, out)
  assert.deepEqual([...out], [42, 1, 1]) // 41, 42, 43 are within 2.5 s of 3 s; 40 is not
  assert.deepEqual(fx.windowSpan(w), { from: 1000, to: 3000 })
  fx.push(w, { ...reading(0), torque: 50 }, 10_000, out)
  assert.deepEqual([...out], [50, 0, 0])
  assert.deepEqual(parseFeatureSpec('torque.mean@60/30s'), { window: 60, windowMs: 30_000, features: ['torque.mean'] })
  assert.throws(() => parseFeatureSpec('torque.mean@60/30m'), /number of seconds/)
  assert.throws(() => validateFeatureSpec({ window: 5, windowMs: 0, features: ['rpm.mean'] }), /windowMs/)
})

test('rows() gives each reading the features of its own machine window, in stream order', () => {
  const fx = new FeatureExtractor({ window: 3, features: ['torque', 'torque.mean'] })
  const stream = [0, 1, 2, 3].map((i) => ({ ...reading(i), machineId: i % 2 === 0 ? 'a' : 'b', ts: i * 1000 }))
  // a: torque 40, 42; b: torque 41, 43 — each mean is over its own machine only
  assert.deepEqual([...fx.rows(stream)], [40, 40, 41, 41, 42, 41, 43, 42])
})

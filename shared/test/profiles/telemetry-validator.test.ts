import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeTelemetry } from '../../src/contract/decode.js'
import { FeatureExtractor } from '../../src/features/extractor.js'
import { DEFAULT_FEATURES, FEATURE_SETS } from '../../src/features/spec.js'
import { builtInProfiles, profilesFromValue } from '../../src/profiles/index.js'

const good = { machineId: 'm1', ts: 1700000000000, seq: 1, temperature: 36.5, airTemperature: 26.4, rpm: 1500, torque: 40, toolWear: 10, humidity: 45, productType: 'M' }
const json = (o: unknown): string => JSON.stringify(o)

test('the ai4i profile accepts and rejects exactly as decodeTelemetry, with the same reasons and details', () => {
  const ai4i = builtInProfiles().profileFor('m1')
  assert.ok(ai4i !== undefined)
  const out = new Float64Array(ai4i.validator.size)
  const payloads: Array<string | Buffer> = [
    json(good),
    json({ ...good, productType: undefined }),
    json({ ...good, extra: 'ignored', other: 3 }),
    json({ ...good, rpm: 0, humidity: 100, torque: 2000 }),
    '{"machineId":',
    Buffer.from([0xff, 0xfe, 0x00]),
    '[1,2]', '42', 'null', '"text"',
    json({ ...good, rpm: undefined }),
    json({ ...good, machineId: undefined }),
    json({ ...good, ts: undefined }),
    json({ ...good, rpm: '1500' }),
    json({ ...good, rpm: null }),
    json({ ...good, seq: 1.5 }),
    json({ ...good, seq: -1 }),
    json({ ...good, ts: -5 }),
    json(good).replace('"rpm":1500', '"rpm":1e999'),
    json(good).replace('"torque":40', '"torque":-1e999'),
    json({ ...good, humidity: 140 }),
    json({ ...good, torque: -3 }),
    json({ ...good, temperature: 400.5 }),
    json({ ...good, productType: 'X' }),
    json({ ...good, productType: 1 }),
    json({ ...good, machineId: 'a/b' }),
    json({ ...good, machineId: '' }),
    json({ ...good, machineId: 7 }),
    json({ ...good, machineId: 'm2' }),
    json({ ...good, note: 'x'.repeat(5000) }),
    Buffer.concat([Buffer.from(json({ ...good, note: '' }).slice(0, -2)), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('"}')])
  ]
  let accepted = 0
  for (const payload of payloads) {
    const today = decodeTelemetry(payload, 'm1')
    const check = ai4i.validator.decode(payload, out, 'm1')
    const label = String(payload).slice(0, 60)
    assert.equal(check.ok, today.ok, label)
    if (today.ok) {
      accepted++
      assert.equal(check.machineId, today.value.machineId)
      assert.equal(check.ts, today.value.ts)
      assert.equal(check.seq, today.value.seq)
      for (const [i, name] of ['temperature', 'airTemperature', 'rpm', 'torque', 'toolWear', 'humidity'].entries()) {
        assert.equal(out[i], today.value[name as 'rpm'], `${label}: ${name}`)
      }
    } else {
      assert.equal(check.reason, today.reason, label)
      assert.equal(check.detail, today.detail, label)
    }
  }
  assert.equal(accepted, 4)
  assert.ok(payloads.length - accepted >= 25)
})

test('the ai4i profile computes the same features as the AI4I extractor, bit for bit', () => {
  const ai4i = builtInProfiles().profiles[0]
  const readings = Array.from({ length: 200 }, (_, i) => ({
    ...good, ts: good.ts + i * 1000, seq: i, rpm: 1200 + ((i * 37) % 900), torque: 20 + ((i * 13) % 50) / 3, temperature: 35 + Math.sin(i) * 2, toolWear: i
  }))
  for (const spec of [DEFAULT_FEATURES, FEATURE_SETS.physical, { window: 10, features: ['power.z', 'dissipation.std', 'tempDelta.rate', 'rpm.mean'] }]) {
    const named = new FeatureExtractor(spec)
    const vector = new FeatureExtractor<Float64Array>(spec, ai4i.catalog)
    const wn = named.createWindow()
    const wv = vector.createWindow()
    const a = new Float64Array(named.size)
    const b = new Float64Array(vector.size)
    const values = new Float64Array(ai4i.validator.size)
    for (const r of readings) {
      const check = ai4i.validator.decode(json(r), values)
      assert.ok(check.ok, check.detail)
      named.push(wn, r, r.ts, a)
      vector.push(wv, values, r.ts, b)
      assert.deepEqual(b, a, spec.features.join(','))
    }
  }
})

const plant = profilesFromValue({
  profiles: {
    pump: {
      machines: 'pump-*',
      signals: {
        flow: { unit: 'm³/h', min: 0, max: 500 },
        pressure: { unit: 'bar', min: 0, max: 40 },
        temp: { unit: '°C', min: -20, max: 180, optional: true },
        aux: { unit: 'A', min: 0, max: 10, optional: true }
      },
      derived: { power: { expr: 'flow * pressure / 36', unit: 'kW' }, heat: 'temp - 20' },
      features: { names: ['flow', 'power.mean', 'heat'], window: 5 },
      learn: { readings: 100 }
    }
  }
}, 'plant.yaml')
const pump = plant.profiles[0]
const reading = { machineId: 'pump-1', ts: 5, seq: 0, flow: 180, pressure: 6, temp: 60, aux: 1 }

test('a profile validator writes raw then derived values, ignores and counts unknown fields', () => {
  const out = new Float64Array(pump.validator.size)
  assert.equal(pump.validator.size, 6)
  const check = pump.validator.decode(json({ ...reading, rpm: 3, productType: 'M', note: 'x' }), out, 'pump-1')
  assert.ok(check.ok, check.detail)
  assert.deepEqual([...out], [180, 6, 60, 1, 30, 40])
  assert.equal(check.unknownFields, 3)
  assert.equal(check.firstUnknownField, 'rpm')
  assert.equal(check.missingOptional, 0)
  assert.ok(pump.scorable(out))
  assert.equal(pump.validator.validate({ ...reading }, out).unknownFields, 0)
})

test('a missing optional signal is NaN; the reading is scored only when no feature depends on it', () => {
  const out = new Float64Array(pump.validator.size)
  // aux: no feature uses it, so the reading is scored.
  let check = pump.validator.decode(json({ ...reading, aux: undefined }), out)
  assert.ok(check.ok)
  assert.equal(check.missingOptional, 1)
  assert.ok(Number.isNaN(out[3]))
  assert.ok(pump.scorable(out))
  // temp: the feature "heat" is derived from it, so the reading is not scored.
  check = pump.validator.decode(json({ ...reading, temp: undefined }), out)
  assert.ok(check.ok)
  assert.equal(check.missingOptional, 1)
  assert.ok(Number.isNaN(out[2]))
  assert.ok(Number.isNaN(out[5]))
  assert.equal(pump.scorable(out), false)
  assert.deepEqual([...pump.optionalInputs], [2])
})

test('a profile validator rejects a missing required signal, a wrong type and an out-of-range value with today\'s reasons', () => {
  const out = new Float64Array(pump.validator.size)
  const cases: Array<[unknown, string, RegExp]> = [
    [{ ...reading, flow: undefined }, 'missing_field', /missing field flow/],
    [{ ...reading, pressure: '6' }, 'wrong_type', /^pressure: /],
    [{ ...reading, temp: 'hot' }, 'wrong_type', /^temp: /],
    [{ ...reading, pressure: 41 }, 'out_of_range', /pressure 41 is out of range/],
    [{ ...reading, temp: -30 }, 'out_of_range', /temp -30 is out of range/],
    [{ ...reading, machineId: 'a b' }, 'bad_machine_id', /not a valid machine id/],
    [{ ...reading, seq: undefined }, 'missing_field', /missing field seq/],
    [[1], 'not_object', /array/]
  ]
  for (const [value, reason, detail] of cases) {
    const check = pump.validator.decode(json(value), out)
    assert.equal(check.ok, false, json(value))
    assert.equal(check.reason, reason, `${json(value)}: ${check.detail}`)
    assert.match(check.detail, detail)
  }
  assert.equal(pump.validator.decode(json(reading), out, 'pump-2').reason, 'topic_mismatch')
  assert.equal(pump.validator.decode(json(reading), out, 'pump-1').ok, true)
})

test('the validator schema is the flat payload, compiled once per profile', () => {
  const s = pump.validator.schema
  assert.equal(s.$id, 'Telemetry.pump')
  assert.deepEqual(s.required, ['machineId', 'ts', 'seq', 'flow', 'pressure'])
  assert.deepEqual(Object.keys(s.properties), ['machineId', 'ts', 'seq', 'flow', 'pressure', 'temp', 'aux'])
  assert.equal(s.properties.pressure.maximum, 40)
})

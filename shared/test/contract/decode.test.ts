import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeTelemetry } from '../../src/contract/decode.js'

const good = { machineId: 'm1', ts: 1700000000000, seq: 1, temperature: 36.5, airTemperature: 26.4, rpm: 1500, torque: 40, toolWear: 10, humidity: 45, productType: 'M' }
const json = (o: unknown): string => JSON.stringify(o)

test('a valid reading decodes from a string and from a Buffer', () => {
  const a = decodeTelemetry(json(good), 'm1')
  assert.ok(a.ok)
  assert.equal(a.value.rpm, 1500)
  const b = decodeTelemetry(Buffer.from(json(good)), 'm1')
  assert.ok(b.ok)
})

test('every kind of bad payload is rejected with its reason', () => {
  const cases: Array<[string | Buffer, string]> = [
    ['{"machineId":', 'not_json'],
    [Buffer.from([0xff, 0xfe, 0x00]), 'not_json'],
    ['[1,2]', 'not_object'],
    ['42', 'not_object'],
    ['null', 'not_object'],
    [json({ ...good, rpm: undefined }), 'missing_field'],
    [json({ ...good, rpm: '1500' }), 'wrong_type'],
    [json({ ...good, seq: 1.5 }), 'wrong_type'],
    [json(good).replace('"rpm":1500', '"rpm":1e999'), 'not_finite'],
    [json({ ...good, humidity: 140 }), 'out_of_range'],
    [json({ ...good, torque: -3 }), 'out_of_range'],
    [json({ ...good, machineId: 'a/b' }), 'bad_machine_id'],
    [json({ ...good, machineId: 'm2' }), 'topic_mismatch'],
    [json({ ...good, note: 'x'.repeat(5000) }), 'too_large'],
    // Invalid UTF-8 in an extra field: before, decoding turned it into U+FFFD and accepted the reading.
    [Buffer.concat([Buffer.from(json({ ...good, note: '' }).slice(0, -2)), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('"}')]), 'not_json']
  ]
  for (const [payload, reason] of cases) {
    const result = decodeTelemetry(payload, 'm1')
    assert.equal(result.ok, false, `${String(payload).slice(0, 40)} should be rejected`)
    if (!result.ok) {
      assert.equal(result.reason, reason, `${String(payload).slice(0, 40)}: ${result.detail}`)
      assert.ok(result.detail.length > 0)
    }
  }
})

test('the size limit is configurable', () => {
  assert.equal(decodeTelemetry(json(good), 'm1', 50).ok, false)
  assert.equal(decodeTelemetry(json(good), undefined, 1000).ok, true)
})

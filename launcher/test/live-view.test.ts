import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AnomalyEvent } from '@factory-edge/shared/contract'
import { clockTime, formatEvent } from '../src/live-view.js'

const base: AnomalyEvent = {
  machineId: 'machine-3',
  ts: 1_767_225_600_000,
  seq: 10,
  state: 'raised',
  severity: 'warning',
  score: 0.7,
  threshold: 0.6,
  modelVersion: 'v1',
  features: [{ name: 'tempDelta', unit: 'K', value: 7.9, contribution: 1 }],
  window: { size: 5, from: 0, to: 0, over: 3, of: 5 }
}

test('a sensor fault gets a wrench line naming the fault and signal, a process alert the siren', () => {
  assert.match(formatEvent({ ...base, kind: 'sensor_fault', fault: 'stuck', signal: 'temperature' }), /^🔧 .* machine-3 SENSOR FAULT stuck temperature/)
  assert.match(formatEvent({ ...base, kind: 'sensor_fault', fault: 'dropout' }), /^🔧 .*SENSOR FAULT dropout —/)
  assert.match(formatEvent({ ...base, kind: 'process' }), /^🚨 .*ANOMALY warning score 0\.700 > 0\.600 —/)
  assert.match(formatEvent({ ...base, calibration: { smoothedScore: 0.71, baseline: 0.55, margin: 0.1 } }), /ANOMALY warning score 0\.710 > its normal 0\.550 \+ 0\.100 —/, 'a calibrated alert shows what decided it')
  assert.match(formatEvent(base), /^🚨 /, 'an event without kind is a process alert')
  assert.match(formatEvent({ ...base, state: 'cleared', kind: 'sensor_fault', fault: 'spike', signal: 'rpm' }), /^✅ .*sensor spike rpm back to normal/)
})

test('times are the local wall clock, not UTC', () => {
  const ts = Date.UTC(2026, 0, 1, 12, 34, 56)
  const d = new Date(ts)
  const local = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
  assert.equal(clockTime(ts), local)
  assert.match(formatEvent({ ...base, ts }), new RegExp(`^🚨 ${local} machine-3`))
})

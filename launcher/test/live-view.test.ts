import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AnomalyEvent } from '@factory-edge/shared/contract'
import { spawnSync } from 'node:child_process'
import { formatEvent } from '../src/live-view.js'

const liveView = new URL('../src/live-view.js', import.meta.url).href

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

test('times are the local wall clock, not UTC: in Tokyo (UTC+9, no summer time) 12:34:56 UTC shows as 21:34:56, and the banner names Asia/Tokyo', () => {
  // A child process with its own TZ: on a machine that runs in UTC, a UTC clock would pass a same-zone check.
  const ts = Date.UTC(2026, 0, 1, 12, 34, 56)
  const script = `import { clockTime, formatEvent, localZone } from ${JSON.stringify(liveView)}
process.stdout.write(JSON.stringify({ clock: clockTime(${ts}), line: formatEvent({ ...${JSON.stringify(base)}, ts: ${ts} }), zone: localZone() }))`
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TZ: 'Asia/Tokyo' }, encoding: 'utf8' })
  assert.equal(child.status, 0, child.stderr)
  const shown = JSON.parse(child.stdout) as { clock: string, line: string, zone: string }
  assert.equal(shown.clock, '21:34:56')
  assert.match(shown.line, /^🚨 21:34:56 machine-3/)
  assert.equal(shown.zone, 'Asia/Tokyo')
})

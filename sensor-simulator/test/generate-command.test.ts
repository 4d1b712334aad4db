import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateLabelledReadings, generateTelemetry } from '../src/generate.js'
import { PUMP_SIGNALS } from '../src/pump-machine.js'

const BIN = fileURLToPath(new URL('../src/bin/sensor-simulator.js', import.meta.url))

test('generate writes the generator\'s readings as NDJSON, to stdout or to --out', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-generate-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const stdout = execFileSync(process.execPath, [BIN, 'generate', '--readings', '25', '--machines', '3', '--seed', '7'], { encoding: 'utf8' })
  const lines = stdout.trimEnd().split('\n')
  assert.equal(lines.length, 25)
  const expected = generateTelemetry({ machines: 3, readingsPerMachine: 9, seed: 7 }).slice(0, 25)
  assert.deepEqual(lines.map((l) => JSON.parse(l)), JSON.parse(JSON.stringify(expected)))

  const out = join(dir, 'readings.ndjson')
  execFileSync(process.execPath, [BIN, 'generate', '--readings', '25', '--machines', '3', '--seed', '7', '--out', out])
  assert.equal(readFileSync(out, 'utf8'), stdout)
})

test('generate refuses a bad count with the setting named (exit code 2)', () => {
  const result = spawnSync(process.execPath, [BIN, 'generate', '--readings', '0'], { encoding: 'utf8' })
  assert.equal(result.status, 2)
  assert.match(result.stderr, /--readings/)
})

test('generate --kind pump --format csv writes pump readings with their labels', () => {
  const csv = execFileSync(process.execPath, [BIN, 'generate', '--kind', 'pump', '--readings', '4000', '--machines', '2', '--seed', '5', '--failures', '--failure-rate', '4', '--format', 'csv'], { encoding: 'utf8' })
  const [header, ...rows] = csv.trimEnd().split('\n').map((l) => l.split(','))
  assert.deepEqual(header, ['machineId', 'ts', 'seq', ...PUMP_SIGNALS.map((s) => s.name), 'label', 'failureMode', 'sensorFault'])
  const expected = [...generateLabelledReadings({ kind: 'pump', machines: 2, readingsPerMachine: 2000, seed: 5, failures: true, failureRate: 4 })]
  assert.equal(rows.length, expected.length)
  rows.forEach((row, i) => {
    const e = expected[i]
    assert.deepEqual(row.slice(0, 3 + PUMP_SIGNALS.length), Object.values(e.telemetry).map(String))
    assert.deepEqual(row.slice(-3), [e.failure === undefined ? '0' : '1', e.failure ?? '', ''])
  })
  assert.ok(rows.some((r) => r[r.length - 3] === '1'), 'some failures')
  assert.ok(rows[0][0] === 'pump-1' && rows[1][0] === 'pump-2')
})

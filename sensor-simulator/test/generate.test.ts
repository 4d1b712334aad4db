import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeTelemetry, type Telemetry } from '@factory-edge/shared/contract'
import {
  generateLabelledTelemetry, generateTelemetry, inFailureRegion, isHeatDissipationFailure, isOverstrainFailure,
  isPowerFailure, KELVIN_OFFSET, powerW, PREVENTIVE_TOOL_CHANGE_MIN, TOOL_LIFE_MIN, type FailureMode, type ProcessValues
} from '../src/index.js'

function processValues (t: Telemetry): ProcessValues {
  return {
    airK: t.airTemperature + KELVIN_OFFSET,
    processK: t.temperature + KELVIN_OFFSET,
    rpm: t.rpm,
    torque: t.torque,
    toolWear: t.toolWear,
    productType: t.productType ?? 'L'
  }
}

test('the same seed gives the same readings, another seed others', () => {
  const a = generateTelemetry({ machines: 3, readingsPerMachine: 200, seed: 42 })
  const b = generateTelemetry({ machines: 3, readingsPerMachine: 200, seed: 42 })
  const c = generateTelemetry({ machines: 3, readingsPerMachine: 200, seed: 43 })
  assert.equal(a.length, 600)
  assert.deepEqual(a, b)
  assert.notDeepEqual(a, c)
  assert.equal(JSON.stringify(a), JSON.stringify(b))
})

test('generated readings satisfy the telemetry schema, in time order with per-machine sequence numbers', () => {
  const readings = generateTelemetry({ machines: 4, readingsPerMachine: 100, seed: 1, startTs: 1000, intervalMs: 1000 })
  const seq = new Map<string, number>()
  let lastTs = 0
  for (const r of readings) {
    const decoded = decodeTelemetry(JSON.stringify(r), r.machineId)
    assert.ok(decoded.ok, JSON.stringify(decoded))
    assert.ok(r.ts >= lastTs)
    lastTs = r.ts
    const expected = seq.get(r.machineId) ?? 0
    assert.equal(r.seq, expected)
    seq.set(r.machineId, expected + 1)
  }
  assert.deepEqual([...seq.keys()], ['machine-1', 'machine-2', 'machine-3', 'machine-4'])
})

test('healthy machines stay out of every AI4I failure region', () => {
  const readings = generateTelemetry({ machines: 10, readingsPerMachine: 1000, seed: 5 })
  const inside = readings.filter((r) => inFailureRegion(processValues(r)))
  // Redrawing gives up after 20 tries, so a handful may remain; AI4I itself has 3.4 % failed cycles.
  assert.ok(inside.length < readings.length * 0.001, `${inside.length} of ${readings.length} readings in a failure region`)
  // Tools are changed before AI4I's tool-failure band (200-240 min): a worn tool there is a TWF, never healthy.
  const worn = Math.max(...readings.map((r) => r.toolWear))
  assert.ok(worn < TOOL_LIFE_MIN && worn >= PREVENTIVE_TOOL_CHANGE_MIN - 5, `largest healthy tool wear ${worn} min`)
})

test('the unconditioned process fails about as often as AI4I', () => {
  let failed = 0
  let total = 0
  for (const { telemetry, failure } of generateLabelledTelemetry({ machines: 5, readingsPerMachine: 2000, seed: 9, natural: true })) {
    total++
    if (failure !== undefined || inFailureRegion(processValues(telemetry))) failed++
  }
  const share = failed / total
  assert.ok(share > 0.015 && share < 0.07, `failed share ${share}`)
})

const REGION: Record<Exclude<FailureMode, 'RNF'>, (v: ProcessValues) => boolean> = {
  HDF: isHeatDissipationFailure,
  PWF: isPowerFailure,
  OSF: isOverstrainFailure,
  // A tool past the start of AI4I's band (200 min); one that keeps cutting while it fails wears further.
  TWF: (v) => v.toolWear >= 200
}

for (const mode of ['HDF', 'PWF', 'OSF', 'TWF'] as const) {
  test(`an injected ${mode} builds up over several readings into its failure region`, () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const readings = [...generateLabelledTelemetry({
        machines: 1, readingsPerMachine: 80, seed, scenarios: [{ mode, machineId: 'machine-1', atMs: 10_000 }]
      })]
      const before = readings.slice(0, 10)
      // Healthy tools are changed before 200 min, so no healthy reading is in any region, TWF's included.
      assert.ok(before.every((r) => r.failure === undefined && !REGION[mode](processValues(r.telemetry))))
      const inRegion = (i: number): boolean => REGION[mode](processValues(readings[i].telemetry)) && (mode !== 'TWF' || readings[i].telemetry.torque > 50)
      let firstInRegion = -1
      for (let i = 10; i < readings.length && firstInRegion === -1; i++) if (inRegion(i)) firstInRegion = i
      assert.ok(firstInRegion >= 10, `seed ${seed}: never reached the ${mode} region`)
      // Gradual: not the first degraded reading, and within the 15-reading build-up.
      assert.ok(firstInRegion - 10 >= 2 && firstInRegion - 10 <= 15, `seed ${seed}: entered the region after ${firstInRegion - 10} readings`)
      assert.ok(readings.slice(10, firstInRegion + 1).every((r) => r.failure === mode))
      // Held for at least 10 readings (the shortest hold) before the repair.
      const held = readings.filter((r, i) => r.failure === mode && inRegion(i)).length
      assert.ok(held >= 10, `seed ${seed}: only ${held} readings in the region`)
      const last = readings.slice(-10)
      assert.ok(last.every((r) => r.failure === undefined && !inFailureRegion(processValues(r.telemetry))), `seed ${seed}: did not recover`)
    }
  })
}

test('a power failure ends up far outside the healthy power band', () => {
  const readings = [...generateLabelledTelemetry({ machines: 1, readingsPerMachine: 40, seed: 11, scenarios: [{ mode: 'PWF', machineId: 'machine-1', atMs: 5000 }] })]
  const p = powerW(readings[20].telemetry.rpm, readings[20].telemetry.torque)
  assert.ok(p < 3200 || p > 9400, `power ${p} W`)
})

test('random failures come at the configured rate and with AI4I modes', () => {
  const modes = new Set<string>()
  let starts = 0
  const previous = new Map<string, string | undefined>()
  for (const { telemetry, failure } of generateLabelledTelemetry({ machines: 20, readingsPerMachine: 3600, seed: 3, failures: true, failureRate: 10 })) {
    if (failure !== undefined) modes.add(failure)
    if (failure !== undefined && failure !== previous.get(telemetry.machineId)) starts++
    previous.set(telemetry.machineId, failure)
  }
  // 20 machine-hours at 10 per machine-hour, minus the time spent failing: about 180.
  assert.ok(starts > 120 && starts < 240, `${starts} failures`)
  assert.deepEqual([...modes].sort(), ['HDF', 'OSF', 'PWF', 'RNF', 'TWF'])
})

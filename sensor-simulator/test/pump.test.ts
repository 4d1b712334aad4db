import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import type { GroundTruth } from '@factory-edge/shared/contract'
import { createLogger } from '@factory-edge/shared/runtime'
import { startAedes } from '@factory-edge/test-support/aedes'
import { eventually } from '@factory-edge/test-support/wait'
import { createMachines, fleetMembers } from '../src/fleet.js'
import { generateLabelledReadings, type LabelledReading } from '../src/generate.js'
import { parseKinds } from '../src/kind.js'
import { PUMP_FAILURE_MODES, type PumpFailureMode } from '../src/failures/pump-failure.js'
import { FaultEffect, SENSOR_FAULT_MODES } from '../src/failures/sensor-fault.js'
import { PUMP_SIGNALS } from '../src/pump-machine.js'
import { ScenarioError } from '../src/errors.js'
import { parseScenario, ScenarioSchedule } from '../src/scenario.js'
import { startSimulator } from '../src/simulator.js'
import { record } from './helpers/recorder.js'

const logger = createLogger('pump-test', { level: 'silent' })
const cleanups: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

type Row = Record<string, number>

function pumpRows (options: Partial<Parameters<typeof generateLabelledReadings>[0]> & { readingsPerMachine: number }): LabelledReading[] {
  return [...generateLabelledReadings({ machines: 1, kind: 'pump', seed: 3, ...options })]
}

function mean (values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

function correlation (x: readonly number[], y: readonly number[]): number {
  const mx = mean(x)
  const my = mean(y)
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my)
    sxx += (x[i] - mx) ** 2
    syy += (y[i] - my) ** 2
  }
  return sxy / Math.sqrt(sxx * syy)
}

/**
 * How far, in standard deviations of the healthy residual, `signal` sits during the failure from what a
 * least-squares line on the speed (flow) or the speed squared (the rest: affinity laws) predicts from the
 * pump's own healthy readings: the shift a detector that learnt the healthy pump can see.
 */
function shift (healthy: readonly Row[], failing: readonly Row[], signal: string): number {
  const x = (r: Row): number => signal === 'flow' ? r.speed : r.speed * r.speed
  const xs = healthy.map(x)
  const ys = healthy.map((r) => r[signal])
  const mx = mean(xs)
  const my = mean(ys)
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my)
    sxx += (xs[i] - mx) ** 2
  }
  const b = sxy / sxx
  const predict = (r: Row): number => my + b * (x(r) - mx)
  const sd = Math.sqrt(mean(healthy.map((r) => (r[signal] - predict(r)) ** 2)))
  return mean(failing.map((r) => r[signal] - predict(r))) / sd
}

test('pumps are pump-1 … pump-N, deterministic for a seed, and a mixed fleet keeps the AI4I machines as they were', () => {
  assert.deepEqual(fleetMembers(3, 'pump').map((m) => m.id), ['pump-1', 'pump-2', 'pump-3'])
  const a = pumpRows({ machines: 2, readingsPerMachine: 200 }).map((r) => r.telemetry)
  const b = pumpRows({ machines: 2, readingsPerMachine: 200 }).map((r) => r.telemetry)
  assert.deepEqual(a, b)
  assert.notDeepEqual(pumpRows({ machines: 2, readingsPerMachine: 200, seed: 4 }).map((r) => r.telemetry), a)
  assert.deepEqual(Object.keys(a[0]), ['machineId', 'ts', 'seq', ...PUMP_SIGNALS.map((s) => s.name)])

  const mixed = [...generateLabelledReadings({ machines: 0, kinds: parseKinds(['ai4i:2,pump:2']), readingsPerMachine: 50, seed: 9 })]
  assert.deepEqual([...new Set(mixed.map((r) => r.telemetry.machineId))], ['machine-1', 'machine-2', 'pump-1', 'pump-2'])
  const ai4iOnly = [...generateLabelledReadings({ machines: 2, readingsPerMachine: 50, seed: 9 })]
  const mixedAi4i = mixed.filter((r) => r.kind === 'ai4i')
  // Only the timestamps differ: the fleet's readings are spread over four machines instead of two.
  assert.deepEqual(mixedAi4i.map((r) => ({ ...r.telemetry, ts: 0 })), ai4iOnly.map((r) => ({ ...r.telemetry, ts: 0 })))
  assert.throws(() => parseKinds(['ai4i:2,lathe:1']), /kind:count/)
})

test('a healthy pump follows the affinity laws while its demand changes, and never fails on its own', () => {
  const rows = pumpRows({ machines: 3, readingsPerMachine: 3600 })
  assert.ok(rows.every((r) => r.failure === undefined && r.fault === undefined))
  for (const id of ['pump-1', 'pump-2', 'pump-3']) {
    const t = rows.filter((r) => r.telemetry.machineId === id).map((r) => r.telemetry as unknown as Row)
    const speed = t.map((r) => r.speed)
    // The demand moves the drive through most of its 70–100 % range within the hour.
    assert.ok(Math.max(...speed) - Math.min(...speed) > 0.2 * 2960, `${id}: speed ${Math.min(...speed)}–${Math.max(...speed)}`)
    assert.ok(correlation(speed, t.map((r) => r.flow)) > 0.9, 'flow ~ speed')
    assert.ok(correlation(speed.map((s) => s * s), t.map((r) => r.dischargePressure - r.suctionPressure)) > 0.9, 'head ~ speed²')
    assert.ok(correlation(speed.map((s) => s ** 3), t.map((r) => r.motorCurrent * r.speed)) > 0.9, 'power ~ speed³')
    // Thermal inertia: the bearing temperature moves little from one reading to the next.
    const steps = t.slice(1).map((r, i) => Math.abs(r.bearingTemperature - t[i].bearingTemperature))
    assert.ok(mean(steps) < 0.3, `bearing temperature steps ${mean(steps)}`)
    for (const s of PUMP_SIGNALS) assert.ok(t.every((r) => r[s.name] > s.min && r[s.name] < s.max), `${id} ${s.name} inside its range`)
  }
})

const EXPECTED: Record<PumpFailureMode, Array<[string, 'up' | 'down']>> = {
  bearing_wear: [['vibration', 'up'], ['bearingTemperature', 'up'], ['motorCurrent', 'up']],
  cavitation: [['suctionPressure', 'down'], ['dischargePressure', 'down'], ['vibration', 'up']],
  impeller_clog: [['flow', 'down'], ['dischargePressure', 'down'], ['motorCurrent', 'down'], ['vibration', 'up']],
  seal_leak: [['dischargePressure', 'down'], ['motorCurrent', 'up']]
}

test('each pump failure shows in several signals, relative to the pump\'s own healthy behaviour, and has its ground truth', () => {
  for (const mode of PUMP_FAILURE_MODES) {
    for (const seed of [1, 2]) {
      const rows = pumpRows({ readingsPerMachine: 1800, seed, scenarios: [parseScenario(`${mode.replace('_', '-')}:pump-1@600s`)] })
      const healthy = rows.slice(0, 600).map((r) => r.telemetry as unknown as Row)
      const failing = rows.filter((r) => r.failure === mode)
      assert.ok(failing.length > 150, `${mode}: ${failing.length} readings`)
      assert.equal(rows[600].failure, mode)
      // The held part of the failure (the middle half of the episode).
      const held = failing.slice(Math.floor(failing.length * 0.4), Math.floor(failing.length * 0.8)).map((r) => r.telemetry as unknown as Row)
      for (const [signal, direction] of EXPECTED[mode]) {
        const z = shift(healthy, held, signal)
        assert.ok(direction === 'up' ? z > 2 : z < -2, `${mode} seed ${seed}: ${signal} ${direction}, shifted by ${z.toFixed(1)} sd`)
      }
    }
  }
  // Cavitation makes the flow unsteady, not only lower.
  const cav = pumpRows({ readingsPerMachine: 1200, seed: 1, scenarios: [parseScenario('cavitation:pump-1@300s')] })
  const flowNoise = (rows: LabelledReading[]): number => mean(rows.slice(1).map((r, i) => Math.abs((r.telemetry.flow as number) - (rows[i].telemetry.flow as number))))
  const failing = cav.filter((r) => r.failure === 'cavitation')
  assert.ok(flowNoise(failing.slice(100, 250)) > 2 * flowNoise(cav.slice(0, 300)), 'noisier flow while cavitating')
})

test('the sensor faults work on pump signals, and an AI4I failure cannot be injected into a pump', () => {
  const members = fleetMembers(1, 'pump')
  for (const mode of SENSOR_FAULT_MODES) {
    const [m] = createMachines(members, 5, { healthyOnly: true, failureProbability: 0, faultProbability: 0, intervalMs: 1000 })
    for (let i = 0; i < 20; i++) m.step(i * 1000)
    const before = JSON.parse(m.encode()) as Row
    m.inject(mode, 10)
    const effects: FaultEffect[] = []
    const payloads: string[] = []
    for (let i = 20; i < 30; i++) {
      const effect = m.step(i * 1000)
      effects.push(effect)
      payloads.push(m.encode(effect === FaultEffect.NaN ? m.fault?.signal : undefined))
    }
    const signal = m.fault?.signal as string
    assert.ok(PUMP_SIGNALS.some((s) => s.name === signal), `${mode} hits a pump signal, not ${signal}`)
    const values = payloads.map((p) => mode === 'nan' ? Number.NaN : (JSON.parse(p) as Row)[signal])
    switch (mode) {
      case 'stuck': assert.equal(new Set(values).size, 1); break
      case 'spike': {
        const range = PUMP_SIGNALS.find((s) => s.name === signal) as typeof PUMP_SIGNALS[number]
        assert.ok(Math.abs(values[0] - before[signal]) > 0.5 * range.spike || values[0] === range.min || values[0] === range.max, `${signal} spiked: ${before[signal]} → ${values[0]}`)
        break
      }
      case 'drift': assert.ok(Math.abs(values[9] - values[0]) > 0, 'drifts'); break
      case 'dropout': assert.ok(effects.every((e) => e === FaultEffect.Drop)); break
      case 'nan': assert.ok(effects.every((e) => e === FaultEffect.NaN) && payloads[0].includes(`"${signal}":NaN`)); break
      case 'garbage': assert.ok(effects.every((e) => e === FaultEffect.Garbage) && m.garbage()[0] === 0xfe); break
    }
  }
  const [pump] = createMachines(members, 5, { healthyOnly: true, failureProbability: 0, faultProbability: 0, intervalMs: 1000 })
  assert.equal(pump.accepts('HDF'), false)
  assert.throws(() => pump.inject('HDF'), /cannot be injected into pump-1/)
  assert.throws(() => new ScenarioSchedule([parseScenario('overheat:pump-1@1s')], ['pump-1'], 1, (_, mode) => pump.accepts(mode)), (err: Error) => err instanceof ScenarioError && /pump-1 cannot have HDF/.test(err.message))
})

test('random pump failures and sensor faults come at their rates, with ground truth for each', () => {
  const rows = pumpRows({ machines: 10, readingsPerMachine: 7200, failures: true, failureRate: 1, sensorFaultRate: 2, seed: 11 })
  const starts = new Map<string, number>()
  for (let i = 10; i < rows.length; i++) {
    const r = rows[i]
    if (r.failure !== undefined && rows[i - 10].failure !== r.failure) starts.set(r.failure, (starts.get(r.failure) ?? 0) + 1)
  }
  assert.deepEqual([...starts.keys()].sort(), [...PUMP_FAILURE_MODES].sort(), 'every mode occurs')
  const failingShare = rows.filter((r) => r.failure !== undefined).length / rows.length
  assert.ok(failingShare > 0.05 && failingShare < 0.3, `failing ${failingShare}`)
  assert.ok(rows.some((r) => r.fault !== undefined))
})

test('pumps publish telemetry and their failures\' ground truth through a broker', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const sim = await startSimulator({
    brokerUrl: broker.url, machines: 0, kinds: parseKinds(['ai4i:1,pump:2']), rateHz: 20, seed: 7, logger, scenarios: ['seal-leak:pump-2@0.5s', 'spike:pump-1@0.2s+0.5s']
  })
  cleanups.push(sim.stop)
  assert.deepEqual(sim.machineIds, ['machine-1', 'pump-1', 'pump-2'])
  assert.throws(() => sim.injectFailure('pump-1', 'overheat'), /pump-1 \(pump\) cannot have HDF/)
  await eventually(() => rec.of('telemetry').length >= 60 && rec.of('truth').length >= 3, 20_000, 'readings and the truth')
  const pump = rec.of('telemetry').filter((m) => m.topic === 'factory/pump-2/telemetry').map((m) => JSON.parse(m.payload.toString()) as Row)
  assert.ok(pump.length > 0)
  assert.deepEqual(Object.keys(pump[0]), ['machineId', 'ts', 'seq', ...PUMP_SIGNALS.map((s) => s.name)])
  const truth = rec.of('truth').map((m) => JSON.parse(m.payload.toString()) as GroundTruth)
  assert.ok(truth.some((t) => t.machineId === 'pump-2' && t.kind === 'failure' && t.mode === 'seal_leak' && t.phase === 'start' && t.seq === 10))
  assert.ok(truth.some((t) => t.machineId === 'pump-1' && t.kind === 'sensor_fault' && t.mode === 'spike' && t.phase === 'start' && t.seq === 4))
  await sim.stop()
})

/**
 * Alert quality as a plant lives it: false alarms per machine-day on healthy machines, and per failure
 * mode and sensor fault the share of episodes an alert was raised for and how many readings it took. The
 * detector's own pipeline (validation, windows, features, scores, alert policy) runs over simulated
 * fleets in simulated time, with the model `npm start` trains and the default alert policy.
 */
import { Random } from '@factory-edge/shared/ml'
import { trainSynthetic } from '@factory-edge/edge-detector/training'
import { FIRST_MODEL_ROWS, launcherOptions, quantileOf, runFleet, scoreRun, simulatedReadings } from '@factory-edge/launcher'
import type { Scenario } from '@factory-edge/sensor-simulator'
import type { Benchmark } from './harness.js'

const DAY_READINGS = 86_400
/** Seeds of the fleets and of the injection times; the model is `npm start`'s (its default seed). */
const HEALTHY_SEED = 101
const INJECTION_SEED = 202
/** An alert may come a little after a dropout (the next reading shows the gap). */
const GRACE_READINGS = 10

function scenarios (mode: string, machines: number, readings: number, seed: number): Scenario[] {
  const rng = new Random(seed)
  // Injections start after the windows have filled and leave room for the longest episode.
  return Array.from({ length: machines }, (_, i) => ({ mode: mode as Scenario['mode'], machineId: `machine-${i + 1}`, atMs: Math.round(rng.uniform(0.1, 0.6) * readings) * 1000 }))
}

const quality: Benchmark = async ({ report: reportAny, quick }) => {
  // A figure with nothing to measure (no detection, so no delay) is left out rather than printed as null.
  const report = (name: string, value: number, unit: string): void => { if (Number.isFinite(value)) reportAny(name, value, unit) }
  const model = (await trainSynthetic(FIRST_MODEL_ROWS, simulatedReadings, { seed: launcherOptions.seed.default })).model

  const healthyMachines = quick ? 10 : 50
  const healthyReadings = quick ? DAY_READINGS / 8 : DAY_READINGS
  const started = Date.now()
  const healthy = runFleet(model, { machines: healthyMachines, readingsPerMachine: healthyReadings, seed: HEALTHY_SEED })
  const machineDays = healthy.readings / DAY_READINGS
  report('quality.false_alarms_per_machine_day', healthy.raised.length / machineDays, 'alarms/machine-day')
  report('quality.healthy_machines_alarmed', new Set(healthy.raised.map((e) => e.machineId)).size / healthyMachines, 'share')
  report('quality.healthy_readings_per_s', healthy.readings / ((Date.now() - started) / 1000), 'readings/s')
  const drivers = new Map<string, number>()
  for (const e of healthy.raised) if (e.kind === 'sensor_fault') drivers.set(`${e.fault ?? '?'}:${e.signal ?? ''}`, (drivers.get(`${e.fault ?? '?'}:${e.signal ?? ''}`) ?? 0) + 1)
  for (const e of healthy.raised) if (e.kind !== 'sensor_fault') drivers.set(e.features[0]?.name ?? '?', (drivers.get(e.features[0]?.name ?? '?') ?? 0) + 1)
  process.stderr.write(`quality: healthy fleet ${healthyMachines} machines × ${healthyReadings} readings, ${healthy.raised.length} raises, top drivers ${JSON.stringify(Object.fromEntries(drivers))}\n`)

  const machines = quick ? 10 : 40
  const readings = 3600
  const run = (kind: 'failure' | 'fault', mode: string, seedOffset: number): { recall: number, delays: number[], falseAlarms: number, labelled: number } => {
    const fleet = runFleet(model, { machines, readingsPerMachine: readings, seed: HEALTHY_SEED + seedOffset, scenarios: scenarios(mode, machines, readings, INJECTION_SEED + seedOffset) })
    const q = scoreRun(fleet, kind, GRACE_READINGS)
    return { recall: q.episodes === 0 ? Number.NaN : q.detected / q.episodes, delays: q.delays, falseAlarms: q.falseAlarms, labelled: q.detected === 0 ? Number.NaN : q.labelledSensorFault / q.detected }
  }

  const failureDelays: number[] = []
  let detected = 0
  let episodes = 0
  for (const [i, mode] of ['HDF', 'PWF', 'OSF', 'TWF', 'RNF'].entries()) {
    const r = run('failure', mode, i + 1)
    report(`quality.${mode}.recall`, r.recall, 'share')
    report(`quality.${mode}.detection_delay_p50`, quantileOf(r.delays, 0.5), 'readings')
    report(`quality.${mode}.false_alarms`, r.falseAlarms, 'alarms')
    // A failure first announced as a sensor fault sends the instrument technician instead of maintenance.
    report(`quality.${mode}.labelled_sensor_fault`, r.labelled, 'share')
    if (mode === 'RNF') continue
    failureDelays.push(...r.delays)
    detected += r.delays.length
    episodes += machines
  }
  report('quality.failure_recall', detected / episodes, 'share')
  report('quality.detection_delay_p50', quantileOf(failureDelays, 0.5), 'readings')
  report('quality.detection_delay_p90', quantileOf(failureDelays, 0.9), 'readings')

  for (const [i, mode] of ['stuck', 'spike', 'drift', 'dropout'].entries()) {
    const r = run('fault', mode, 10 + i)
    report(`quality.sensor_fault.${mode}.recall`, r.recall, 'share')
    report(`quality.sensor_fault.${mode}.detection_delay_p50`, quantileOf(r.delays, 0.5), 'readings')
    report(`quality.sensor_fault.${mode}.labelled`, r.labelled, 'share')
  }
}

export default quality

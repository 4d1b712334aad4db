/**
 * Alert quality of machines that learn their own normal (issue 14): simulated pumps of the shipped pump
 * profile (config/profiles.yaml) learn a baseline each on their first readings, then run with failures
 * at random and sensor faults on. As the plant lives it: failures detected while they last (recall),
 * how long that took, and raises that match no failure or sensor fault per machine-day. Failures that
 * begin while their pump still learns are left out of the recall (nothing scores them yet), and the
 * learning time out of the machine-days. The same pipeline code as the service, in simulated time.
 */
import { inMemoryBaselines } from '@factory-edge/edge-detector'
import { quantileOf, runFleet, scoreRun, SHIPPED_PROFILES, type Episode } from '@factory-edge/launcher'
import { loadProfiles, ProfileSet } from '@factory-edge/shared/profiles'
import type { Benchmark } from './harness.js'

const DAY_READINGS = 86_400
const SEED = 303
/** A raise up to this many readings after a failure's last still counts for it. */
const GRACE_READINGS = 10

const selflearnQuality: Benchmark = async ({ report: reportAny, quick }) => {
  const report = (name: string, value: number, unit: string): void => { if (Number.isFinite(value)) reportAny(name, value, unit) }
  const shipped = loadProfiles(SHIPPED_PROFILES)
  const pump = shipped.byName('pump')
  if (pump === undefined) throw new Error(`${SHIPPED_PROFILES} has no pump profile`)
  const profiles = new ProfileSet([pump], shipped.source)
  const machines = quick ? 10 : 50
  const days = quick ? 1 : 7
  const started = Date.now()
  const run = runFleet(undefined, { kind: 'pump', machines, readingsPerMachine: days * DAY_READINGS, seed: SEED, failures: true, sensorFaultRate: 0.1 }, undefined, { profiles, baselines: inMemoryBaselines() })
  // Only what happens after a pump's learning counts.
  const after = (e: Episode): boolean => e.first >= (run.scoringFrom.get(e.machineId) ?? Infinity)
  const counted = { ...run, episodes: run.episodes.filter(after) }
  const failures = scoreRun(counted, 'failure', GRACE_READINGS)
  const faults = scoreRun(counted, 'fault', GRACE_READINGS)
  const scoredDays = (run.readings - run.learning) / DAY_READINGS
  report('selflearn.failure_recall', failures.detected / failures.episodes, 'share')
  report('selflearn.false_alarms_per_machine_day', failures.falseAlarms / scoredDays, 'alarms/machine-day')
  report('selflearn.detection_delay_p50', quantileOf(failures.delays, 0.5), 'readings')
  report('selflearn.detection_delay_p90', quantileOf(failures.delays, 0.9), 'readings')
  report('selflearn.sensor_fault_recall', faults.detected / faults.episodes, 'share')
  report('selflearn.learning_readings_per_machine', run.learning / machines, 'readings')
  const byMode = new Map<string, { episodes: number, detected: number }>()
  for (const e of counted.episodes.filter((x) => x.kind === 'failure')) {
    const m = byMode.get(e.mode) ?? { episodes: 0, detected: 0 }
    m.episodes++
    if (run.raised.some((r) => r.machineId === e.machineId && r.seq >= e.first && r.seq <= e.last + GRACE_READINGS)) m.detected++
    byMode.set(e.mode, m)
  }
  for (const [mode, m] of byMode) report(`selflearn.${mode}.recall`, m.detected / m.episodes, 'share')
  process.stderr.write(`selflearn quality: ${machines} pumps × ${days} d, ${failures.episodes} failures after learning, ${failures.falseAlarms} false alarms over ${scoredDays.toFixed(1)} scored machine-days, ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
}

export default selflearnQuality

/**
 * Alert quality of machines that learn their own normal (issue 14): simulated pumps of the shipped pump
 * profile (config/profiles.yaml) learn a baseline each on their first readings, then run with failures
 * at random and sensor faults on. As the plant lives it: failures detected while they last (recall),
 * how long that took, and raises that match no failure or sensor fault per machine-day. Failures that
 * begin while their pump still learns are left out of the recall (nothing scores them yet), and the
 * learning time out of the machine-days. The same pipeline code as the service, in simulated time.
 *
 * For measuring rules of `features: auto` (docs/profiles.md, Features): SELFLEARN_FEATURES=auto gives the
 * profile `features: auto`, SELFLEARN_FEATURES=value,mean,... those statistics of every required and
 * derived signal; SELFLEARN_KIND=ai4i runs AI4I machines under the ai4i profile's signals, learning as
 * the pumps do; SELFLEARN_SEED and SELFLEARN_DAYS change the seed and the simulated days.
 */
import { inMemoryBaselines } from '@factory-edge/edge-detector'
import { quantileOf, runFleet, scoreRun, SHIPPED_PROFILES, type Episode } from '@factory-edge/launcher'
import { AUTO_FEATURE_WINDOW, autoFeatures, autoSignals, loadProfiles, ProfileSet, SensorProfile, type ProfileDefinition } from '@factory-edge/shared/profiles'
import type { Benchmark } from './harness.js'

const DAY_READINGS = 86_400
const SEED = 303
const KINDS = ['pump', 'ai4i'] as const
/** A raise up to this many readings after a failure's last still counts for it. */
const GRACE_READINGS = 10

const selflearnQuality: Benchmark = async ({ report: reportAny, quick }) => {
  const report = (name: string, value: number, unit: string): void => { if (Number.isFinite(value)) reportAny(name, value, unit) }
  const kind = process.env.SELFLEARN_KIND ?? 'pump'
  if (!(KINDS as readonly string[]).includes(kind)) throw new Error(`SELFLEARN_KIND=${kind}: one of ${KINDS.join(', ')}`)
  const seed = Number(process.env.SELFLEARN_SEED ?? SEED)
  const shipped = loadProfiles(SHIPPED_PROFILES)
  const profiles = new ProfileSet([new SensorProfile(measured(shipped, kind, process.env.SELFLEARN_FEATURES))], shipped.source)
  const machines = quick ? 10 : 50
  const days = Number(process.env.SELFLEARN_DAYS ?? (quick ? 1 : 7))
  const started = Date.now()
  const run = runFleet(undefined, { kind: kind as typeof KINDS[number], machines, readingsPerMachine: days * DAY_READINGS, seed, failures: true, sensorFaultRate: 0.1 }, undefined, { profiles, baselines: inMemoryBaselines() })
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
  process.stderr.write(`selflearn quality: ${machines} ${kind} machines × ${days} d, seed ${seed}, ${profiles.profiles[0].features.features.length} features, ${failures.episodes} failures after learning, ${failures.falseAlarms} false alarms over ${scoredDays.toFixed(1)} scored machine-days, ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
}

/**
 * The shipped pump profile, or the shipped profile of another kind learning as the pumps do (the pump's
 * learn and alert settings, every machine id), with the features of `features` when given: `auto`, or a
 * comma list of statistics taken of every required and derived signal.
 */
function measured (shipped: ProfileSet, kind: string, features: string | undefined): ProfileDefinition {
  const profileOf = (name: string): ProfileDefinition => {
    const p = shipped.byName(name)
    if (p === undefined) throw new Error(`${SHIPPED_PROFILES} has no ${name} profile`)
    return p.definition
  }
  const pump = profileOf('pump')
  const def = kind === 'pump' ? pump : { ...profileOf(kind), machines: ['*'], model: pump.model, alert: pump.alert }
  if (features === undefined) return def
  const names = features === 'auto' ? autoFeatures(def.signals, def.derived) : autoSignals(def.signals, def.derived).flatMap((n) => features.split(',').map((stat) => stat === 'value' ? n : `${n}.${stat}`))
  return { ...def, features: { window: AUTO_FEATURE_WINDOW, features: names }, featuresAuto: features === 'auto' }
}

export default selflearnQuality

#!/usr/bin/env node
// Which features and how many learning readings let a pump learn its own baseline: for each candidate
// profile, every pump (different seeds) learns an Isolation Forest on its first readings (healthy, 1 Hz),
// with the threshold at the largest learning score; then it is scored on an hour of healthy readings
// (false alarms) and on each failure mode injected 10 minutes after learning (readings over the threshold
// during the held part of the failure). Prints a table; docs/simulator.md quotes it. PUMPS, LEARN (e.g.
// 600,1200) and ONLY (one candidate's name) narrow the run.
import { fileURLToPath } from 'node:url'
import { loadProfiles, profilesFromValue } from '@factory-edge/shared/profiles'
import { FeatureExtractor, IsolationForest } from '@factory-edge/shared/ml'
import { createMachines, fleetMembers, PUMP_FAILURE_MODES, PUMP_SIGNALS } from '../dist/src/index.js'

const PUMPS = Number(process.env.PUMPS ?? 20)
const HEALTHY = 3600
const SIGNALS = Object.fromEntries(PUMP_SIGNALS.map((s) => [s.name, { unit: s.unit, min: s.min, max: s.max }]))
const NORMALISED = {
  // Affinity laws: flow / speed, head / speed² and current (≈ torque) / speed² stay put when only the demand moves.
  flowPerSpeed: 'flow / speed * 1000',
  headCoefficient: '(dischargePressure - suctionPressure) / (speed * speed) * 1000000',
  currentCoefficient: 'motorCurrent / (speed * speed) * 1000000'
}
const shipped = loadProfiles(fileURLToPath(new URL('../../config/profiles.yaml', import.meta.url))).byName('pump').definition
const candidates = {
  'config/profiles.yaml': { derived: Object.fromEntries(shipped.derived.map((d) => [d.name, d.expression])), features: { names: shipped.features.features, window: shipped.features.window } },
  auto: { features: 'auto' },
  'values only': { features: { names: [...PUMP_SIGNALS.map((s) => s.name)], window: 1 } },
  'auto + affinity-normalised': { derived: NORMALISED, features: 'auto' }
}
const LEARN = (process.env.LEARN ?? '300,600,1200').split(',').map(Number)

function profileOf (extra) {
  return profilesFromValue({ profiles: { pump: { machines: 'pump-*', signals: SIGNALS, learn: { readings: 100 }, ...extra } } }, 'candidate').profiles[0]
}

/** Feature rows of one pump's readings (payload by payload, as the detector sees them). */
function run (profile, seed, readings, inject) {
  const extractor = new FeatureExtractor(profile.features, profile.catalog)
  const window = extractor.createWindow()
  const values = new Float64Array(profile.validator.size)
  const [m] = createMachines(fleetMembers(1, 'pump'), seed, { healthyOnly: true, failureProbability: 0, faultProbability: 0, intervalMs: 1000 })
  const rows = new Float64Array(readings * extractor.size)
  const row = new Float64Array(extractor.size)
  const labels = []
  for (let i = 0; i < readings; i++) {
    if (inject !== undefined && i === inject.at) m.inject(inject.mode)
    m.step(i * 1000)
    const check = profile.validator.decode(m.encode(), values, m.id)
    if (!check.ok) throw new Error(check.detail)
    extractor.push(window, values, i * 1000, row)
    rows.set(row, i * extractor.size)
    labels.push(m.failure === undefined ? undefined : m.failure.age >= m.failure.timing.ramp && m.failure.age < m.failure.timing.ramp + m.failure.timing.hold ? 'held' : 'ramp')
  }
  return { rows, labels, size: extractor.size }
}

console.log(`${PUMPS} pumps per cell; threshold = largest learning score; false alarms = healthy readings over it in the next hour; failures: share of held readings over it (mean over pumps) and pumps with at least 30 % over it`)
console.log('| features | learn readings | healthy over threshold | ' + PUMP_FAILURE_MODES.map((m) => `${m} over / detected`).join(' | ') + ' |')
console.log('| --- | ---: | ---: | ' + PUMP_FAILURE_MODES.map(() => '---:').join(' | ') + ' |')
for (const [name, extra] of Object.entries(candidates).filter(([n]) => process.env.ONLY === undefined || n === process.env.ONLY)) {
  const profile = profileOf(extra)
  for (const learn of LEARN) {
    let healthyOver = 0
    let healthyCount = 0
    const perMode = Object.fromEntries(PUMP_FAILURE_MODES.map((m) => [m, { over: 0, detected: 0 }]))
    for (let p = 0; p < PUMPS; p++) {
      const seed = 1000 + p
      const h = run(profile, seed, learn + HEALTHY)
      const forest = IsolationForest.fit(h.rows.slice(0, learn * h.size), h.size, { seed, nEstimators: 100 })
      const scores = forest.scoreBatch(h.rows)
      let threshold = 0
      for (let i = 30; i < learn; i++) threshold = Math.max(threshold, scores[i])
      for (let i = learn; i < learn + HEALTHY; i++) { healthyCount++; if (scores[i] > threshold) healthyOver++ }
      for (const mode of PUMP_FAILURE_MODES) {
        const f = run(profile, seed, learn + 1800, { mode, at: learn + 600 })
        const s = forest.scoreBatch(f.rows)
        let over = 0
        let held = 0
        for (let i = 0; i < f.labels.length; i++) if (f.labels[i] === 'held') { held++; if (s[i] > threshold) over++ }
        perMode[mode].over += over / held / PUMPS
        if (over / held >= 0.3) perMode[mode].detected++
      }
    }
    console.log(`| ${name} | ${learn} | ${(100 * healthyOver / healthyCount).toFixed(2)} % | ` + PUMP_FAILURE_MODES.map((m) => `${(100 * perMode[m].over).toFixed(0)} % / ${perMode[m].detected}`).join(' | ') + ' |')
  }
}

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ProfileError } from '../../src/errors.js'
import { DEFAULT_FEATURES } from '../../src/features/spec.js'
import { AI4I_PROFILE, builtInProfiles, loadProfiles, profilesFromValue } from '../../src/profiles/index.js'

const EXAMPLE = fileURLToPath(new URL('../../../../config/profiles.example.yaml', import.meta.url))

const pump = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  machines: 'pump-*',
  signals: { flow: { unit: 'm³/h', min: 0, max: 500 }, pressure: { unit: 'bar', min: 0, max: 40 }, temp: { unit: '°C', min: -20, max: 180, optional: true } },
  learn: { readings: 100 },
  ...extra
})

function refused (value: unknown, message: RegExp): void {
  assert.throws(() => profilesFromValue(value, 'plant.yaml'), (err: unknown) => {
    assert.ok(err instanceof ProfileError, String(err))
    assert.equal(err.exitCode, 2)
    assert.match(err.message, /^plant\.yaml/)
    assert.match(err.message, message)
    return true
  })
}

test('each kind of mistake gives its own message naming the file, the profile and the key', () => {
  refused([], /a profiles file .* must be a mapping/)
  refused({ profile: {} }, /key "profile": unknown key \(did you mean "profiles"\?\); allowed: profiles/)
  refused({ profiles: {} }, /key "profiles": must be a mapping .* at least one profile/)
  refused({ profiles: { 'my pump': pump() } }, /profile "my pump": a profile name must start/)
  refused({ profiles: { pump: pump({ signal: {} }) } }, /profile "pump", key "signal": unknown key \(did you mean "signals"\?\)/)
  refused({ profiles: { pump: pump({ machines: undefined }) } }, /profile "pump", key "machines": is required/)
  refused({ profiles: { pump: pump({ machines: [] }) } }, /key "machines": must be a machine-id glob/)
  refused({ profiles: { pump: pump({ signals: { flow: { unit: 'm³/h', min: 0 } } }) } }, /key "signals\.flow\.max": is required/)
  refused({ profiles: { pump: pump({ signals: { flow: { unit: 'm³/h', min: 5, max: 1 } } }) } }, /key "signals\.flow\.max": must be greater than min \(5\), got 1/)
  refused({ profiles: { pump: pump({ signals: { flow: { unit: 'm³/h', min: '0', max: 1 } } }) } }, /key "signals\.flow\.min": must be a finite number, got "0"/)
  refused({ profiles: { pump: pump({ signals: { flow: { unit: 'x', min: 0, max: 1, optinal: true } } }) } }, /key "signals\.flow\.optinal": unknown key \(did you mean "optional"\?\)/)
  refused({ profiles: { pump: pump({ signals: { 'flow.rate': { unit: 'x', min: 0, max: 1 } } }) } }, /key "signals\.flow\.rate": a signal name must start/)
  refused({ profiles: { pump: pump({ signals: { seq: { unit: 'x', min: 0, max: 1 } } }) } }, /"seq" is reserved/)
  refused({ profiles: { pump: pump({ derived: { flow: 'pressure * 2' } }) } }, /key "derived\.flow": "flow" is already a signal/)
  refused({ profiles: { pump: pump({ derived: { power: 'flow * presure' } }) } }, /key "derived\.power": expression "flow \* presure": unknown signal "presure" \(did you mean "pressure"\?\).*\(column 8\)/)
  refused({ profiles: { pump: pump({ derived: { power: { unit: 'kW' } } }) } }, /key "derived\.power\.expr": is required/)
  refused({ profiles: { pump: pump({ features: 'some' }) } }, /key "features": must be "auto" or a mapping/)
  refused({ profiles: { pump: pump({ features: { names: ['flow.median'] } }) } }, /key "features": unknown statistic "median"/)
  refused({ profiles: { pump: pump({ features: { names: ['rpm'] } }) } }, /key "features": unknown signal "rpm" .*known signals: flow, pressure, temp/)
  refused({ profiles: { pump: pump({ features: { names: ['flow.std'], window: 1 } }) } }, /key "features": window statistics .* at least 2/)
  refused({ profiles: { pump: pump({ features: { names: ['flow'], windw: 3 } }) } }, /key "features\.windw": unknown key \(did you mean "window"\?\)/)
  refused({ profiles: { pump: pump({ features: { window: 0 } }) } }, /key "features\.window": must be an integer number of readings from 1/)
  refused({ profiles: { pump: pump({ gapMs: '5m' }) } }, /key "gapMs": must be "auto" or an integer number of ms/)
  refused({ profiles: { pump: pump({ learn: undefined }) } }, /profile "pump": needs a model policy/)
  refused({ profiles: { pump: pump({ model: 'm.json' }) } }, /key "learn": a profile has either "model: FILE" .* not both/)
  refused({ profiles: { pump: pump({ learn: {} }) } }, /key "learn": needs "readings" .* and\/or "duration"/)
  refused({ profiles: { pump: pump({ learn: { readings: 1.5 } }) } }, /key "learn\.readings": must be an integer number of readings/)
  refused({ profiles: { pump: pump({ learn: { duration: 6 } }) } }, /key "learn\.duration": must be a duration such as "90s"/)
  refused({ profiles: { pump: pump({ learn: { reading: 5 } }) } }, /key "learn\.reading": unknown key \(did you mean "readings"\?\)/)
  refused({ profiles: { pump: pump({ learn: { readings: 100, trim: 0.5 } }) } }, /key "learn\.trim": must be a share of the learning readings from 0 to below 0\.5, got 0\.5/)
  refused({ profiles: { pump: pump({ learn: { readings: 100, trim: '10%' } }) } }, /key "learn\.trim": must be a finite number, got "10%"/)
  refused({ profiles: { pump: pump({ alert: { margin: 0 } }) } }, /key "alert\.margin": must be a score difference above 0 and below 1, got 0/)
  refused({ profiles: { pump: pump({ alert: { k: 3 } }) } }, /key "alert\.k": unknown key; allowed: margin/)
  refused({ profiles: { pump: pump({ alert: 0.2 }) } }, /key "alert": "alert" \(\{ margin \}\) must be a mapping, got 0\.2/)
  refused({ profiles: { pump: pump({ extends: 'pump' }) } }, /key "extends": must name a built-in profile \(ai4i\)/)
})

test('file-level mistakes: unreadable, not YAML, not JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-'))
  try {
    assert.throws(() => loadProfiles(join(dir, 'missing.yaml')), /missing\.yaml: cannot read the profiles file/)
    writeFileSync(join(dir, 'bad.yaml'), 'profiles:\n  pump: [1\n')
    assert.throws(() => loadProfiles(join(dir, 'bad.yaml')), (err: unknown) => err instanceof ProfileError && /bad\.yaml: not valid YAML/.test(err.message))
    writeFileSync(join(dir, 'dup.yaml'), 'profiles:\n  pump: {}\n  pump: {}\n')
    assert.throws(() => loadProfiles(join(dir, 'dup.yaml')), /dup\.yaml: not valid YAML: .*unique/)
    writeFileSync(join(dir, 'bad.json'), '{"profiles": ')
    assert.throws(() => loadProfiles(join(dir, 'bad.json')), /bad\.json: not valid JSON/)
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ profiles: { pump: pump() } }))
    assert.equal(loadProfiles(join(dir, 'p.json')).profiles[0].name, 'pump')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('machines: globs, first matching profile wins, an uncovered machine has no profile', () => {
  const set = profilesFromValue({
    profiles: {
      special: pump({ machines: ['pump-7', 'pump-1?'] }),
      pump: pump({ machines: ['pump-*', 'p[0-9][0-9]'] }),
      press: pump({ machines: 'press-{a,b}' })
    }
  }, 'plant.yaml')
  const of = (id: string): string | undefined => set.profileFor(id)?.name
  assert.equal(of('pump-7'), 'special')
  assert.equal(of('pump-12'), 'special')
  assert.equal(of('pump-123'), 'pump')
  assert.equal(of('pump-8'), 'pump')
  assert.equal(of('p42'), 'pump')
  assert.equal(of('press-a'), 'press')
  assert.equal(of('press-c'), undefined)
  assert.equal(of('compressor-1'), undefined)
})

test('without a profiles file the built-in ai4i profile covers every machine with today\'s contract', () => {
  const set = loadProfiles()
  assert.equal(set.profiles.length, 1)
  const ai4i = set.profileFor('any-machine.1')
  assert.equal(ai4i?.name, 'ai4i')
  assert.deepEqual(ai4i.features, DEFAULT_FEATURES)
  assert.deepEqual(ai4i.definition.model, { kind: 'file' })
  assert.equal(ai4i.definition.gapMs, undefined)
  assert.deepEqual(ai4i.signalNames, ['temperature', 'airTemperature', 'rpm', 'torque', 'toolWear', 'humidity', 'tempDelta', 'power', 'strain', 'dissipation'])
})

test('the example file loads: a pump that learns and an ai4i override', () => {
  const set = loadProfiles(EXAMPLE)
  assert.deepEqual(set.profiles.map((p) => p.name), ['pump', 'ai4i'])
  const p = set.profileFor('pump-3')
  assert.equal(p?.name, 'pump')
  assert.deepEqual(p.definition.model, { kind: 'learn', readings: 2000 })
  assert.equal(p.definition.gapMs, 'auto')
  assert.equal(p.definition.featuresAuto, true)
  // auto: value and mean of every required and every derived signal; the optional one left out.
  const names = ['flow', 'dischargePressure', 'motorCurrent', 'vibrationRms', 'hydraulicPower']
  assert.deepEqual(p.features.features, names.flatMap((n) => [n, `${n}.mean`]))
  assert.equal(p.features.window, 30)
  const ai4i = set.profileFor('machine-1')
  assert.equal(ai4i?.name, 'ai4i')
  assert.deepEqual(ai4i.definition.model, { kind: 'file', file: 'results/model.json' })
  assert.deepEqual(ai4i.features, AI4I_PROFILE.features)
  assert.deepEqual(ai4i.signalNames, builtInProfiles().profiles[0].signalNames)
})

test('a profile may set its own alert margin and learning trim; left out, the detector\'s apply', () => {
  const [own, plain] = profilesFromValue({ profiles: { pump: pump({ alert: { margin: 0.25 }, learn: { readings: 100, trim: 0.1 } }), fan: pump({ machines: 'fan-*' }) } }, 'plant.yaml').profiles
  assert.equal(own.alertMargin, 0.25)
  assert.equal(own.learnTrim, 0.1)
  assert.deepEqual(own.definition.model, { kind: 'learn', readings: 100, trim: 0.1 })
  assert.equal(plain.alertMargin, undefined)
  assert.equal(plain.learnTrim, undefined)
  const ai4i = profilesFromValue({ profiles: { mill: { extends: 'ai4i', machines: 'mill-*', alert: { margin: 0.15 } } } }, 'plant.yaml').profiles[0]
  assert.equal(ai4i.alertMargin, 0.15)
  assert.equal(builtInProfiles().profiles[0].alertMargin, undefined)
})

test('explicit features, windowMs and learning by duration', () => {
  const p = profilesFromValue({ profiles: { pump: pump({ features: { names: ['flow', 'pressure.z'], windowMs: 600000 }, learn: { readings: 500, duration: '6h' }, gapMs: 900000 }) } }, 'plant.yaml').profiles[0]
  assert.deepEqual(p.features, { window: 30, windowMs: 600000, features: ['flow', 'pressure.z'] })
  assert.deepEqual(p.definition.model, { kind: 'learn', readings: 500, durationMs: 6 * 3600 * 1000 })
  assert.equal(p.definition.gapMs, 900000)
})

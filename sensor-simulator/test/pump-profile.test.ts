import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { loadProfiles, SensorProfile } from '@factory-edge/shared/profiles'
import { PROFILE_TELEMETRY_EXAMPLES } from '@factory-edge/shared/contract'
import { createMachines, fleetMembers } from '../src/fleet.js'
import { FaultEffect, SENSOR_FAULT_MODES } from '../src/failures/sensor-fault.js'
import { PUMP_FAILURE_MODES } from '../src/failures/pump-failure.js'
import { PUMP_SIGNALS } from '../src/pump-machine.js'

const PROFILES = fileURLToPath(new URL('../../../config/profiles.yaml', import.meta.url))

test('config/profiles.yaml loads, covers the simulator\'s machines, and its pump signals are the simulator\'s', () => {
  const set = loadProfiles(PROFILES)
  assert.equal(set.profileFor('machine-12')?.name, 'ai4i')
  assert.equal(set.profileFor('ai4i-1')?.name, 'ai4i')
  assert.equal(set.profileFor('pump-3')?.name, 'pump')
  assert.equal(set.profileFor('lathe-1'), undefined)
  const pump = set.byName('pump') as SensorProfile
  assert.deepEqual(pump.definition.model, { kind: 'learn', readings: 2000, durationMs: 6 * 3_600_000, trim: 0.1 })
  assert.equal(pump.alertMargin, 0.25)
  assert.deepEqual(
    pump.definition.signals.map((s) => [s.name, s.unit, s.min, s.max, s.optional]),
    PUMP_SIGNALS.map((s) => [s.name, s.unit, s.min, s.max, false])
  )
})

test('every simulated pump payload, healthy, failing in each mode or with a lying sensor, passes the pump profile\'s validator', () => {
  const pump = new SensorProfile((loadProfiles(PROFILES).byName('pump') as SensorProfile).definition)
  const validator = pump.validator
  const values = new Float64Array(validator.size)
  const modes = [undefined, ...PUMP_FAILURE_MODES, ...SENSOR_FAULT_MODES.filter((m) => m !== 'nan' && m !== 'garbage')]
  let checked = 0
  for (const mode of modes) {
    for (const seed of [1, 2, 3]) {
      const [m] = createMachines(fleetMembers(1, 'pump'), seed, { healthyOnly: true, failureProbability: 0, faultProbability: 0, intervalMs: 1000 })
      for (let i = 0; i < 1500; i++) {
        // Sensor faults over and over, so that drifts run long and spikes land on every signal.
        if (mode !== undefined && i === 60) m.inject(mode, mode === 'drift' ? 1400 : undefined)
        if (mode !== undefined && i > 60 && m.fault === undefined && m.failure === undefined && SENSOR_FAULT_MODES.includes(mode as typeof SENSOR_FAULT_MODES[number])) m.inject(mode)
        if (m.step(i * 1000) !== FaultEffect.Publish) continue
        const payload = m.encode()
        const check = validator.decode(payload, values, m.id)
        assert.ok(check.ok, `${mode ?? 'healthy'} seed ${seed}: ${check.reason ?? ''} ${check.detail} in ${payload}`)
        assert.equal(check.unknownFields, 0)
        checked++
      }
    }
  }
  assert.ok(checked > 20_000)
  // And a reading that breaks the contract is still refused: the check above can fail.
  assert.equal(validator.decode('{"machineId":"pump-1","ts":1,"seq":0,"flow":301,"suctionPressure":0,"dischargePressure":5,"motorCurrent":30,"speed":2900,"vibration":2,"bearingTemperature":50}', values).reason, 'out_of_range')
})

test('the contract\'s example of a pump reading (docs/asyncapi.yaml) is a valid reading of the shipped pump profile', () => {
  const pump = loadProfiles(PROFILES).byName('pump') as SensorProfile
  const values = new Float64Array(pump.validator.size)
  for (const example of PROFILE_TELEMETRY_EXAMPLES) {
    const check = pump.validator.validate(example.payload, values)
    assert.equal(check.ok, true, check.detail)
    assert.equal(check.unknownFields, 0)
  }
})

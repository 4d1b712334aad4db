import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Model } from '@factory-edge/shared/ml'
import { profilesFromValue, type SensorProfile } from '@factory-edge/shared/profiles'
import { Random } from '@factory-edge/shared/ml'
import { normalReading, payload, trainTestModel } from '@factory-edge/test-support/readings'
import { DetectorPipeline, LEARNED_WARMUP_READINGS, type BaselineHooks } from '../../src/pipeline/pipeline.js'
import { inMemoryBaselines } from '../../src/baseline/hooks.js'
import { RecordingSink } from '../helpers/recording-sink.js'

/** Pumps learn their own baseline from 200 readings; machines named machine-* are AI4I machines with the shared model. */
const PROFILES = profilesFromValue({
  profiles: {
    pump: {
      machines: 'pump-*',
      signals: {
        flow: { unit: 'm3/h', min: 0, max: 500 },
        pressure: { unit: 'bar', min: 0, max: 40 },
        vibration: { unit: 'mm/s', min: 0, max: 100, optional: true }
      },
      features: { names: ['flow', 'pressure', 'vibration', 'flow.mean', 'pressure.std'], window: 5 },
      gapMs: 60_000,
      learn: { readings: 200 }
    },
    ai4i: { extends: 'ai4i', machines: 'machine-*' }
  }
}, 'test-profiles.yaml')

const model = trainTestModel()

/** Healthy pump readings: flow and pressure move together around an operating point, with noise. */
function pumpReading (id: string, seq: number, random: Random, over: Record<string, unknown> = {}): Record<string, unknown> {
  const load = 0.8 + 0.1 * Math.sin(seq / 20)
  return { machineId: id, ts: 1_000_000 + seq * 1000, seq, flow: 200 * load + random.uniform(-2, 2), pressure: 8 * load * load + random.uniform(-0.1, 0.1), vibration: 2 + random.uniform(-0.2, 0.2), ...over }
}

function setup (baselines: BaselineHooks = inMemoryBaselines(), maxMachines = 100): { pipeline: DetectorPipeline, sink: RecordingSink, stateChanges: Array<{ machineId: string, state: string }> } {
  const sink = new RecordingSink()
  const stateChanges: Array<{ machineId: string, state: string }> = []
  sink.state = (s) => { stateChanges.push({ machineId: s.machineId, state: s.state }); sink.states.push(s) }
  const pipeline = new DetectorPipeline({ model, profiles: PROFILES, sink, baselines, maxMachines, alert: { k: 3, m: 5, cooldownMs: 0 } })
  return { pipeline, sink, stateChanges }
}

function send (pipeline: DetectorPipeline, r: Record<string, unknown>): ReturnType<DetectorPipeline['process']> {
  return pipeline.process(`factory/${String(r.machineId)}/telemetry`, payload(r))
}

test('a machine no profile covers is rejected as no_profile, named and counted; the others carry on', () => {
  const { pipeline, sink } = setup()
  const random = new Random(1)
  assert.equal(send(pipeline, { ...normalReading('lathe-1', 0, 1000, random) }), 'rejected')
  assert.equal(sink.rejects[0].reason, 'no_profile')
  assert.match(sink.rejects[0].detail, /no sensor profile covers machine lathe-1 \(profiles: test-profiles.yaml\)/)
  assert.equal(pipeline.stats.rejectedByReason.no_profile, 1)
  assert.equal(send(pipeline, { ...normalReading('machine-1', 0, 1000, random) }), 'scored', 'an AI4I machine is scored by the shared model')
  assert.equal(send(pipeline, pumpReading('pump-1', 0, random)), 'learning', 'a pump learns')
})

test('per-profile validation: a pump payload is checked against the pump profile, with the reason named', () => {
  const { pipeline, sink } = setup()
  const random = new Random(2)
  assert.equal(send(pipeline, pumpReading('pump-1', 0, random, { pressure: 99 })), 'rejected')
  assert.equal(sink.rejects[0].reason, 'out_of_range')
  assert.match(sink.rejects[0].detail, /pressure/)
  const { pressure: _, ...withoutPressure } = pumpReading('pump-1', 1, random)
  assert.equal(send(pipeline, withoutPressure), 'rejected')
  assert.equal(sink.rejects[1].reason, 'missing_field')
  // An AI4I field on a pump is just an unknown field: ignored and counted.
  assert.equal(send(pipeline, pumpReading('pump-1', 2, random, { rpm: 1500, note: 'x' })), 'learning')
  assert.equal(pipeline.stats.unknownFields, 2)
  // A missing optional signal the features use: stored, not scored, counted.
  const { vibration: __, ...withoutVibration } = pumpReading('pump-1', 3, random)
  assert.equal(send(pipeline, withoutVibration), 'unscored')
  assert.equal(pipeline.stats.unscored, 1)
  assert.equal(pipeline.stats.missingOptional, 1)
  assert.ok(sink.lines.some((l) => l.startsWith('telemetry,machine=pump-1,profile=pump flow=') && !l.includes('vibration=')), 'its point leaves the signal out')
})

test('learning, then scoring: the state says learning with progress, a baseline is learned from the machine\'s own readings, then a failure raises', () => {
  const learned: Array<{ id: string, version: string }> = []
  const { pipeline, sink, stateChanges } = setup()
  sink.learned = (id, _profile, m) => learned.push({ id, version: m.version })
  const random = new Random(3)
  const outcomes: string[] = []
  for (let seq = 0; seq < 600; seq++) outcomes.push(send(pipeline, pumpReading('pump-1', seq, random)))
  // The first window (5 readings) fills before rows are kept: 4 + 200 readings learn.
  assert.equal(outcomes.filter((o) => o === 'learning').length, 204)
  assert.equal(outcomes.filter((o) => o === 'scored').length, 396)
  assert.equal(sink.states[0].state, 'learning', 'tracked as learning')
  assert.equal(sink.states[0].profile, 'pump')
  const progress = sink.states.filter((s) => s.state === 'learning').map((s) => s.learning?.progress ?? -1)
  assert.deepEqual(progress.slice(1).map((p) => Math.round(p * 10) / 10), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], 'progress published every 10 %')
  assert.deepEqual(stateChanges.at(-1), { machineId: 'pump-1', state: 'normal' })
  assert.equal(learned.length, 1)
  assert.equal(pipeline.stats.baselinesLearned, 1)
  assert.equal(sink.events.length, 0, 'no alert on healthy readings after learning')
  const slot = pipeline.machines.slotOf('pump-1')
  assert.equal(pipeline.modelOf(slot)?.version, learned[0].version)

  // A clogged impeller: flow falls while pressure rises.
  for (let seq = 600; seq < 640; seq++) send(pipeline, pumpReading('pump-1', seq, random, { flow: 60 + random.uniform(-2, 2), pressure: 11 + random.uniform(-0.1, 0.1) }))
  const raised = sink.events.find((e) => e.state === 'raised')
  assert.ok(raised !== undefined, 'the failure raises an alert')
  assert.equal(raised.profile, 'pump')
  assert.equal(raised.modelVersion, learned[0].version)
  assert.ok(sink.lines.some((l) => l.startsWith(`anomaly_score,machine=pump-1,profile=pump,model_version=${learned[0].version} score=`)))
})

test('the same readings learn the same baseline (seeded from the machine id and profile)', () => {
  const versions = [0, 1].map(() => {
    const { pipeline } = setup()
    const random = new Random(4)
    for (let seq = 0; seq < 210; seq++) send(pipeline, pumpReading('pump-2', seq, random))
    return pipeline.modelOf(pipeline.machines.slotOf('pump-2'))?.version
  })
  assert.ok(versions[0] !== undefined)
  assert.equal(versions[0], versions[1])
})

test('restart: a persisted baseline is loaded, not learned again; a corrupt one is refused, counted, and the machine learns again', () => {
  const disk = new Map<string, Model>()
  const memory = inMemoryBaselines()
  const persisted: BaselineHooks = {
    load: (id) => disk.get(id),
    learn: memory.learn
  }
  const first = setup(persisted)
  first.sink.learned = (id, _p, m) => disk.set(id, m)
  const random = new Random(5)
  for (let seq = 0; seq < 210; seq++) send(first.pipeline, pumpReading('pump-3', seq, random))
  assert.ok(disk.has('pump-3'))

  const second = setup(persisted)
  assert.equal(send(second.pipeline, pumpReading('pump-3', 210, random)), 'scored', 'scored from its first reading after the restart')
  assert.equal(second.pipeline.stats.baselinesLoaded, 1)
  assert.equal(second.sink.states[0].state, 'normal')

  const refusedBy: string[] = []
  const corrupt = setup({ load: () => { throw new Error('baseline file pump-3.json: not JSON') }, learn: memory.learn })
  corrupt.sink.baselineRefused = (id, _p, err) => refusedBy.push(`${id}: ${err.message}`)
  assert.equal(send(corrupt.pipeline, pumpReading('pump-3', 211, random)), 'learning')
  assert.equal(corrupt.pipeline.stats.baselinesRefused, 1)
  assert.deepEqual(refusedBy, ['pump-3: baseline file pump-3.json: not JSON'])
})

test('reset: a machine\'s baseline is forgotten and it learns again; eviction drops it from memory and it is reloaded when it comes back', () => {
  const disk = new Map<string, Model>()
  const memory = inMemoryBaselines()
  let loads = 0
  const { pipeline, sink, stateChanges } = setup({ load: (id) => { loads++; return disk.get(id) }, learn: memory.learn }, 2)
  sink.learned = (id, _p, m) => disk.set(id, m)
  const random = new Random(6)
  for (let seq = 0; seq < 210; seq++) send(pipeline, pumpReading('pump-4', seq, random))
  assert.equal(send(pipeline, pumpReading('pump-4', 210, random)), 'scored')

  assert.equal(pipeline.resetBaseline('pump-4', 2_000_000), true)
  assert.deepEqual(stateChanges.at(-1), { machineId: 'pump-4', state: 'learning' })
  assert.equal(send(pipeline, pumpReading('pump-4', 211, random)), 'learning')
  assert.equal(pipeline.resetBaseline('machine-1'), false, 'not tracked')
  send(pipeline, { ...normalReading('machine-1', 0, 1000, random) })
  assert.equal(pipeline.resetBaseline('machine-1'), false, 'a shared-model machine has no baseline of its own')

  for (let seq = 212; seq < 420; seq++) send(pipeline, pumpReading('pump-4', seq, random))
  assert.equal(send(pipeline, pumpReading('pump-4', 420, random)), 'scored', 'learned again')
  // Two more machines evict pump-4 (room for two); it comes back with its baseline from disk.
  send(pipeline, pumpReading('pump-5', 0, random))
  send(pipeline, { ...normalReading('machine-2', 0, 1000, random) })
  assert.equal(pipeline.machines.slotOf('pump-4'), -1, 'evicted')
  const before = loads
  assert.equal(send(pipeline, pumpReading('pump-4', 421, random)), 'scored', 'reloaded, not learned again')
  assert.equal(loads, before + 1)
})

test('the built-in ai4i profile alone is today\'s pipeline: every state and point carries profile ai4i', () => {
  const sink = new RecordingSink()
  const pipeline = new DetectorPipeline({ model, sink })
  const random = new Random(7)
  assert.equal(pipeline.process('factory/anything-1/telemetry', payload(normalReading('anything-1', 0, 1000, random))), 'scored')
  assert.equal(sink.states[0].profile, 'ai4i')
  assert.equal(sink.states[0].state, 'normal')
  assert.ok(sink.lines[0].startsWith('telemetry,machine=anything-1,profile=ai4i,model_version='))
})

test('a profile whose machines learn needs no detector model; one scored by the detector model does', () => {
  const pumps = profilesFromValue({ profiles: { pump: { machines: '*', signals: { flow: { unit: 'm3/h', min: 0, max: 500 } }, features: 'auto', learn: { readings: 10 } } } }, 'pumps.yaml')
  assert.doesNotThrow(() => new DetectorPipeline({ profiles: pumps, sink: new RecordingSink() }))
  assert.throws(() => new DetectorPipeline({ profiles: PROFILES, sink: new RecordingSink() }), /profile ai4i is scored by the detector's model, but none was given/)
  const profile: SensorProfile | undefined = pumps.byName('pump')
  assert.ok(profile !== undefined)
})

test('relearning: a learned machine keeps scoring while its next normal readings make a new baseline, which then replaces the old one', () => {
  const saved: string[] = []
  const { pipeline, sink } = setup()
  sink.learned = (_id, _p, m) => saved.push(m.version)
  const random = new Random(8)
  // Learning, then the warm-up a new baseline needs before it may raise.
  for (let seq = 0; seq < 360; seq++) send(pipeline, pumpReading('pump-6', seq, random))
  const slot = pipeline.machines.slotOf('pump-6')
  const first = pipeline.modelOf(slot)?.version
  assert.ok(first !== undefined)
  assert.equal(pipeline.relearn(), 1, 'one learned machine starts relearning')
  assert.equal(pipeline.relearn(), 0, 'not twice')
  assert.equal(pipeline.learningCount(), 0, 'a relearning machine is not counted as learning')
  // A clog while relearning: scored by the current baseline, and kept out of the new one.
  const outcomes: string[] = []
  for (let seq = 360; seq < 390; seq++) outcomes.push(send(pipeline, pumpReading('pump-6', seq, random, { flow: 60 + random.uniform(-2, 2), pressure: 11 })))
  assert.ok(sink.events.some((e) => e.state === 'raised'), 'the clog still raises')
  for (let seq = 390; seq < 800 && pipeline.stats.baselinesRelearned === 0; seq++) outcomes.push(send(pipeline, pumpReading('pump-6', seq, random)))
  assert.ok(outcomes.every((o) => o === 'scored'), 'every reading scored while relearning')
  assert.equal(pipeline.stats.baselinesRelearned, 1)
  const second = pipeline.modelOf(slot)?.version
  assert.ok(second !== undefined && second !== first, 'a new baseline')
  assert.deepEqual(saved, [first, second], 'both saved')
  assert.ok((pipeline.modelOf(slot)?.training.rows ?? 0) <= 200)
})

test('a new baseline warms up before it may raise: a machine failing right after its learning is told after the warm-up, not at once', () => {
  const { pipeline, sink } = setup()
  const random = new Random(10)
  for (let seq = 0; seq < 205; seq++) send(pipeline, pumpReading('pump-8', seq, random))
  const learnedAt = 205
  for (let seq = learnedAt; seq < learnedAt + 400; seq++) send(pipeline, pumpReading('pump-8', seq, random, { flow: 60 + random.uniform(-2, 2), pressure: 11 }))
  const raised = sink.events.find((e) => e.state === 'raised')
  assert.ok(raised !== undefined, 'it raises')
  assert.ok(raised.seq >= learnedAt + LEARNED_WARMUP_READINGS, `not during the warm-up (raised at ${raised.seq})`)
})

test('a row of a file is rejected like a payload: counted, with its reason told to the sink', () => {
  const { pipeline, sink } = setup()
  const random = new Random(11)
  assert.equal(pipeline.processRecord(pumpReading('pump-9', 0, random, { pressure: 99 })), 'rejected')
  assert.equal(pipeline.processRecord({ ...pumpReading('lathe-1', 0, random) }), 'rejected')
  assert.deepEqual(sink.rejects.map((r) => [r.machineId, r.reason]), [['pump-9', 'out_of_range'], ['lathe-1', 'no_profile']])
  assert.match(sink.rejects[0].detail, /pressure/)
  assert.equal(pipeline.stats.rejected, 2)
})

test('a profile\'s own alert margin and learning trim reach its machines\' baselines and events; other profiles keep the detector\'s', () => {
  const own = profilesFromValue({
    profiles: {
      pump: {
        machines: 'pump-*',
        signals: { flow: { unit: 'm3/h', min: 0, max: 500 }, pressure: { unit: 'bar', min: 0, max: 40 }, vibration: { unit: 'mm/s', min: 0, max: 100, optional: true } },
        features: { names: ['flow', 'pressure', 'vibration', 'flow.mean', 'pressure.std'], window: 5 },
        gapMs: 60_000,
        learn: { readings: 200, trim: 0.1 },
        alert: { margin: 0.2 }
      },
      ai4i: { extends: 'ai4i', machines: 'machine-*' }
    }
  }, 'test-profiles.yaml')
  const sink = new RecordingSink()
  const models: Model[] = []
  sink.learned = (_id, _profile, m) => models.push(m)
  const pipeline = new DetectorPipeline({ model, profiles: own, sink, baselines: inMemoryBaselines(), maxMachines: 10, alert: { k: 3, m: 5, cooldownMs: 0 } })
  const random = new Random(5)
  for (let seq = 0; seq < 400; seq++) send(pipeline, pumpReading('pump-1', seq, random))
  assert.equal(models.length, 1)
  assert.equal(models[0].training.trimmed, 20, 'a tenth of the 200 learning rows left out')
  assert.equal(models[0].training.rows, 180)
  for (let seq = 400; seq < 500; seq++) send(pipeline, pumpReading('pump-1', seq, random, { flow: 60 + random.uniform(-2, 2), pressure: 11 + random.uniform(-0.1, 0.1) }))
  const raised = sink.events.find((e) => e.machineId === 'pump-1' && e.state === 'raised')
  assert.equal(raised?.calibration?.margin, 0.2)
  send(pipeline, { ...normalReading('machine-1', 0, 1_000_000, random) })
  assert.equal(pipeline.alerts.marginOf(pipeline.machines.slotOf('pump-1')), 0.2)
  assert.equal(pipeline.alerts.marginOf(pipeline.machines.slotOf('machine-1')), 0.1, 'the ai4i profile sets no margin: the detector\'s')
})

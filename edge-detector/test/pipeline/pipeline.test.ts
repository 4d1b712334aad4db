import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Value } from '@sinclair/typebox/value'
import { AnomalyEvent, MachineState, MEASUREMENTS, RejectedMessage } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { DetectorPipeline, type Outcome, type PipelineOptions } from '../../src/pipeline/pipeline.js'
import { shardOf } from '../../src/pipeline/shard.js'
import { anomalousReading, normalReading, payload, trainTestModel, TEST_SPEC } from '@factory-edge/test-support/readings'
import { RecordingSink } from '../helpers/recording-sink.js'

const model = trainTestModel()
const topic = (id: string): string => `factory/${id}/telemetry`

function setup (options: Partial<PipelineOptions> = {}): { pipeline: DetectorPipeline, sink: RecordingSink } {
  const sink = new RecordingSink()
  const pipeline = new DetectorPipeline({ model, sink, alert: { k: 3, m: 5, hysteresis: 0.02, cooldownMs: 0, baselineAlpha: 0 }, ...options })
  return { pipeline, sink }
}

/** Feeds one machine: `n` readings from `make`, advancing seq and a 1 s clock. */
function feeder (pipeline: DetectorPipeline, id: string, seed = 1): (n: number, anomalous?: boolean) => Outcome[] {
  const random = new Random(seed)
  let seq = 0
  return (n, anomalous = false) => {
    const out: Outcome[] = []
    for (let i = 0; i < n; i++, seq++) {
      const ts = 1_000_000 + seq * 1000
      const r = anomalous ? anomalousReading(id, seq, ts) : normalReading(id, seq, ts, random)
      out.push(pipeline.process(topic(id), payload(r)))
    }
    return out
  }
}

test('normal readings raise nothing; a burst raises once after k of m, then clears once', () => {
  const { pipeline, sink } = setup()
  const feed = feeder(pipeline, 'press-1')
  assert.deepEqual(new Set(feed(50)), new Set(['scored']))
  assert.equal(sink.events.length, 0, 'no alert on normal data')
  feed(2, true)
  assert.equal(sink.events.length, 0, 'two of five is not enough (k = 3)')
  feed(5, true)
  assert.equal(sink.events.length, 1, 'raised exactly once while the anomaly lasts')
  const raised = sink.events[0]
  assert.equal(raised.state, 'raised')
  assert.equal(raised.machineId, 'press-1')
  assert.equal(raised.seq, 52, 'raised on the third anomalous reading')
  assert.ok(raised.score > raised.threshold)
  assert.equal(raised.modelVersion, model.version)
  assert.deepEqual(raised.features.map((f) => f.name).sort(), [...TEST_SPEC.features].sort())
  const shares = raised.features.reduce((s, f) => s + f.contribution, 0)
  assert.ok(Math.abs(shares - 1) < 1e-9, 'contributions sum to 1')
  for (let i = 1; i < raised.features.length; i++) assert.ok(raised.features[i - 1].contribution >= raised.features[i].contribution, 'strongest first')
  assert.equal(raised.features.find((f) => f.name === 'rpm')?.value, 300, 'feature values are those of the reading')
  assert.deepEqual({ over: raised.window.over, of: raised.window.of }, { over: 3, of: 5 })
  assert.equal(raised.window.size, TEST_SPEC.window)
  assert.equal(raised.window.to, raised.ts)
  assert.ok(Value.Check(AnomalyEvent, raised), 'the event matches the published schema')
  feed(20)
  assert.equal(sink.events.length, 2)
  assert.equal(sink.events[1].state, 'cleared')
  assert.ok(Value.Check(AnomalyEvent, sink.events[1]))
  for (const s of sink.states) assert.ok(Value.Check(MachineState, s))
  assert.deepEqual(sink.states.map((s) => s.state), ['normal', 'anomalous', 'normal'], 'first sight, raise, clear')
  assert.equal(pipeline.stats.raised, 1)
  assert.equal(pipeline.stats.cleared, 1)
})

test('every bad payload is rejected with its reason, counted, and good readings around it are kept', () => {
  const { pipeline, sink } = setup()
  const good = normalReading('m1', 0, 1_000_000, new Random(3))
  const cases: Array<[string, string | Buffer, string]> = [
    ['not_json', '{"machineId": "m1", ', 'not JSON'],
    ['not_object', '[1,2,3]', 'array'],
    ['missing_field', JSON.stringify({ ...good, rpm: undefined }), 'rpm'],
    ['wrong_type', JSON.stringify({ ...good, torque: 'high' }), 'torque'],
    ['not_finite', JSON.stringify(good).replace(/"rpm":[^,]+/, '"rpm":1e999'), 'rpm'],
    ['out_of_range', JSON.stringify({ ...good, humidity: 140 }), 'humidity'],
    ['too_large', JSON.stringify({ ...good, pad: 'x'.repeat(5000) }), 'exceeds'],
    ['topic_mismatch', JSON.stringify({ ...good, machineId: 'm2' }), 'does not match']
  ]
  let seq = 1
  for (const [reason, body, detail] of cases) {
    assert.equal(pipeline.process(topic('m1'), Buffer.from(body)), 'rejected', reason)
    const r = normalReading('m1', seq, 1_000_000 + seq * 1000, new Random(seq))
    seq++
    assert.equal(pipeline.process(topic('m1'), payload(r)), 'scored', `a good reading after ${reason}`)
    const reject = sink.rejects.at(-1)
    assert.ok(reject !== undefined)
    assert.equal(reject.reason, reason)
    assert.match(reject.detail, new RegExp(detail))
    assert.equal(reject.machineId, 'm1')
    assert.equal(reject.topic, topic('m1'))
    assert.ok(reject.payload.length <= 256)
    assert.ok(Value.Check(RejectedMessage, reject))
  }
  assert.equal(pipeline.stats.rejected, cases.length)
  for (const [reason] of cases) assert.equal(pipeline.stats.rejectedByReason[reason as 'not_json'], 1, reason)
  assert.equal(pipeline.stats.scored, cases.length)
})

test('duplicates are dropped, out-of-order readings scored, too-late ones stored only, a restarted publisher starts over', () => {
  const { pipeline, sink } = setup()
  const random = new Random(5)
  const send = (seq: number, ts: number): Outcome => pipeline.process(topic('m1'), payload(normalReading('m1', seq, ts, random)))
  assert.equal(send(0, 1000), 'scored')
  assert.equal(send(1, 2000), 'scored')
  assert.equal(send(3, 4000), 'scored')
  assert.equal(send(3, 4000), 'duplicate')
  assert.equal(send(2, 3000), 'scored', 'seq 2 arrives after seq 3 and is still scored')
  assert.equal(send(2, 3000), 'duplicate', 'and a second copy of it is a duplicate')
  assert.equal(send(1, 2000), 'duplicate')
  assert.equal(send(300, 300_000), 'scored')
  assert.equal(send(4, 5000), 'late', 'more than 256 behind: cannot be told from a copy, so stored only')
  assert.equal(send(299, 299_000), 'scored', 'recent enough')
  assert.deepEqual({ duplicates: pipeline.stats.duplicates, outOfOrder: pipeline.stats.outOfOrder, late: pipeline.stats.late }, { duplicates: 3, outOfOrder: 2, late: 1 })
  const telemetry = sink.lines.filter((l) => l.startsWith(MEASUREMENTS.telemetry + ','))
  assert.equal(telemetry.length, 7, 'every reading stored once, duplicates not')
  assert.equal(sink.lines.filter((l) => l.startsWith(MEASUREMENTS.score + ',')).length, 6, 'the late one is not scored')
  assert.equal(send(0, 400_000), 'scored', 'seq 0 with a newer timestamp: the publisher restarted')
  assert.equal(pipeline.stats.streamRestarts, 1)
  assert.equal(send(1, 401_000), 'scored')
  assert.equal(send(1, 401_000), 'duplicate')
})

test('a long gap empties the machine window', () => {
  const { pipeline } = setup({ gapMs: 5000 })
  const random = new Random(9)
  for (let i = 0; i < 5; i++) pipeline.process(topic('m1'), payload(normalReading('m1', i, 1000 * i, random)))
  const slot = pipeline.machines.slotOf('m1')
  assert.equal(pipeline.machines.windows[slot]?.count, 5)
  pipeline.process(topic('m1'), payload(normalReading('m1', 5, 4000 + 60_000, random)))
  assert.equal(pipeline.stats.windowResets, 1)
  assert.equal(pipeline.machines.windows[slot]?.count, 1)
})

test('memory is bounded: beyond max machines the least recently seen is evicted', () => {
  const { pipeline, sink } = setup({ maxMachines: 3 })
  const random = new Random(2)
  const send = (id: string, seq: number): Outcome => pipeline.process(topic(id), payload(normalReading(id, seq, 1000 + seq, random)))
  send('a', 0); send('b', 0); send('c', 0)
  send('a', 1)
  send('d', 0)
  assert.deepEqual(sink.evictions, ['b'], 'b was seen least recently')
  assert.equal(pipeline.machines.size, 3)
  assert.deepEqual(pipeline.machines.machineIds().sort(), ['a', 'c', 'd'])
  assert.equal(pipeline.stats.evictions, 1)
  assert.equal(send('b', 1), 'scored', 'an evicted machine comes back as new')
  assert.deepEqual(sink.evictions, ['b', 'c'])
})

test('cooldown holds back a repeat raise; hysteresis keeps a hovering score raised', () => {
  const { pipeline, sink } = setup({ alert: { k: 2, m: 3, hysteresis: 0.02, cooldownMs: 60_000, baselineAlpha: 0 } })
  const feed = feeder(pipeline, 'm1')
  feed(20)
  feed(3, true)
  // The window statistic (rpm.mean over 10 readings) stays outside its training range until the
  // anomalous readings have left the window.
  feed(15)
  assert.deepEqual(sink.events.map((e) => e.state), ['raised', 'cleared'])
  feed(3, true)
  assert.equal(sink.events.length, 2, 'within the cooldown: no new raise')
  feed(60)
  feed(3, true)
  assert.deepEqual(sink.events.map((e) => e.state), ['raised', 'cleared', 'raised'], 'after the cooldown it raises again')
})

test('points use the shared measurement and tag names', () => {
  const { pipeline, sink } = setup()
  const feed = feeder(pipeline, 'lathe-7')
  feed(1)
  const [telemetry, score] = sink.lines
  assert.match(telemetry, new RegExp(`^${MEASUREMENTS.telemetry},machine=lathe-7,profile=ai4i,model_version=${model.version} temperature=[-0-9.e]+,airTemperature=.*,humidity=[-0-9.e]+ 1000000$`))
  assert.match(score, new RegExp(`^${MEASUREMENTS.score},machine=lathe-7,profile=ai4i,model_version=${model.version} score=[0-9.e-]+,threshold=[0-9.e-]+,anomalous=(true|false),tempDelta=.*,rpm.mean=[-0-9.e]+ 1000000$`))
  feed(5, true)
  assert.ok(sink.lines.some((l) => l.startsWith(`${MEASUREMENTS.event},machine=lathe-7,profile=ai4i,model_version=${model.version},state=raised,severity=`)))
  const { pipeline: quiet, sink: none } = setup({ points: false })
  feeder(quiet, 'm1')(3)
  assert.equal(none.lines.length, 0, 'no points when InfluxDB is off')
})

test('three shards handle every machine exactly once', () => {
  const shards = [1, 2, 3].map((index) => setup({ shard: { index, count: 3 } }))
  const ids = Array.from({ length: 300 }, (_, i) => `machine-${i}`)
  const random = new Random(4)
  for (const id of ids) {
    const body = payload(normalReading(id, 0, 1000, random))
    const outcomes = shards.map(({ pipeline }) => pipeline.process(topic(id), body))
    assert.equal(outcomes.filter((o) => o === 'scored').length, 1, `${id} is scored by exactly one shard`)
    assert.equal(outcomes.filter((o) => o === 'other-shard').length, 2)
    assert.equal(outcomes.indexOf('scored') + 1, shardOf(id, 3))
  }
  const sizes = shards.map(({ pipeline }) => pipeline.machines.size)
  assert.equal(sizes.reduce((a, b) => a + b), ids.length)
  for (const size of sizes) assert.ok(size > 60, `shards are roughly balanced: ${sizes.join(', ')}`)
  const bad = shards.map(({ pipeline }) => pipeline.process(topic('machine-1'), Buffer.from('garbage')))
  assert.equal(bad.filter((o) => o === 'rejected').length, 1, 'a bad payload is rejected by the owning shard only')
})

test('a model with another feature specification swaps in and restarts the windows', () => {
  const { pipeline, sink } = setup()
  const feed = feeder(pipeline, 'm1')
  feed(5)
  const other = trainTestModel({ window: 1, features: ['temperature', 'rpm', 'humidity'] }, { seed: 11 })
  pipeline.setModel(other)
  assert.equal(pipeline.model, other)
  feed(1)
  assert.match(sink.lines.at(-1) ?? '', new RegExp(`model_version=${other.version} .*temperature=.*rpm=.*humidity=`))
  assert.equal(pipeline.machines.windows[pipeline.machines.slotOf('m1')]?.count, 1)
  feed(5, true)
  assert.equal(sink.events.at(-1)?.modelVersion, other.version)
})

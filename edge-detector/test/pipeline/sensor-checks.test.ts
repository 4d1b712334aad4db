import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Value } from '@sinclair/typebox/value'
import { AnomalyEvent, type Telemetry } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { DetectorPipeline } from '../../src/pipeline/pipeline.js'
import { SensorChecks } from '../../src/pipeline/sensor-checks.js'
import { normalReading, payload, trainTestModel } from '@factory-edge/test-support/readings'
import { RecordingSink } from '../helpers/recording-sink.js'

const model = trainTestModel()

/** A pipeline and one machine fed healthy readings, each of which `change` may alter; `skip` leaves sequence numbers out. */
function machine (seed = 1): { sink: RecordingSink, feed: (n: number, change?: (r: Telemetry, i: number) => void) => void, skip: (n: number) => void } {
  const sink = new RecordingSink()
  const pipeline = new DetectorPipeline({ model, sink, alert: { k: 3, m: 5, hysteresis: 0.02, cooldownMs: 0 } })
  const random = new Random(seed)
  let seq = 0
  return {
    sink,
    feed: (n, change) => {
      for (let i = 0; i < n; i++, seq++) {
        const r = normalReading('press-1', seq, 1_000_000 + seq * 1000, random)
        change?.(r, i)
        pipeline.process('factory/press-1/telemetry', payload(r))
      }
    },
    skip: (n) => { seq += n }
  }
}

function checkEvents (events: AnomalyEvent[]): void {
  for (const e of events) assert.ok(Value.Check(AnomalyEvent, e), 'every event matches the published schema')
}

test('a healthy stream raises no sensor fault', () => {
  const { sink, feed } = machine()
  feed(5000)
  assert.deepEqual(sink.events.filter((e) => e.kind === 'sensor_fault'), [])
})

test('a stuck signal raises one sensor_fault stuck alert naming the signal, and clears once it moves again', () => {
  const { sink, feed } = machine()
  feed(300)
  feed(30, (r) => { r.temperature = 35.12 })
  const raised = sink.events.filter((e) => e.state === 'raised')
  assert.equal(raised.length, 1)
  assert.deepEqual({ kind: raised[0].kind, fault: raised[0].fault, signal: raised[0].signal }, { kind: 'sensor_fault', fault: 'stuck', signal: 'temperature' })
  assert.ok(raised[0].seq >= 300 + 7 && raised[0].seq <= 300 + 15, `raised after a run of equal readings, not at once (seq ${raised[0].seq})`)
  feed(40)
  const cleared = sink.events.filter((e) => e.state === 'cleared')
  assert.equal(cleared.length, 1)
  assert.deepEqual({ kind: cleared[0].kind, fault: cleared[0].fault, signal: cleared[0].signal }, { kind: 'sensor_fault', fault: 'stuck', signal: 'temperature' })
  checkEvents(sink.events)
})

test('a signal that often repeats needs a longer run to count as stuck', () => {
  const { sink, feed } = machine()
  // Humidity reported in whole percent here: it repeats a reading in every few.
  feed(1000, (r) => { r.humidity = Math.round(r.humidity / 4) * 4 })
  assert.deepEqual(sink.events.filter((e) => e.kind === 'sensor_fault'), [], 'its own repeats are not a fault')
  feed(12, (r) => { r.humidity = 48 })
  assert.deepEqual(sink.events.filter((e) => e.kind === 'sensor_fault'), [], '12 equal readings are not enough for this signal')
  feed(40, (r) => { r.humidity = 48 })
  assert.deepEqual(sink.events.filter((e) => e.state === 'raised').map((e) => [e.fault, e.signal]), [['stuck', 'humidity']])
})

test('a one-reading spike raises sensor_fault spike naming the signal, and no process alert', () => {
  const { sink, feed } = machine()
  feed(300)
  feed(6, (r, i) => { if (i % 2 === 0) r.torque += 400 })
  feed(5)
  assert.deepEqual(sink.events.map((e) => [e.state, e.kind, e.fault, e.signal]), [['raised', 'sensor_fault', 'spike', 'torque']])
  assert.equal(sink.events[0].seq, 301, 'seen when the signal comes back, one reading after the spike')
  checkEvents(sink.events)
})

test('a step that stays is no spike', () => {
  const { sink, feed } = machine()
  feed(300)
  feed(100, (r) => { r.airTemperature += 15; r.temperature += 15 })
  assert.deepEqual(sink.events.filter((e) => e.kind === 'sensor_fault'), [])
})

test('a gap in sequence numbers raises sensor_fault dropout; one missing reading does not', () => {
  const { sink, feed, skip } = machine()
  feed(100)
  skip(1)
  feed(50)
  assert.equal(sink.events.length, 0, 'a single lost reading is no dropout')
  skip(15)
  feed(1)
  assert.equal(sink.events.length, 1)
  const e = sink.events[0]
  assert.deepEqual({ kind: e.kind, fault: e.fault, state: e.state, seq: e.seq }, { kind: 'sensor_fault', fault: 'dropout', state: 'raised', seq: 166 })
  assert.equal(e.signal, undefined, 'a dropout loses whole readings, no signal in particular')
  checkEvents(sink.events)
})

test('process alerts say kind process', () => {
  const sink = new RecordingSink()
  const pipeline = new DetectorPipeline({ model, sink, alert: { k: 1, m: 1, cooldownMs: 0 } })
  const random = new Random(3)
  for (let seq = 0; seq < 60; seq++) {
    const r = normalReading('press-2', seq, 1_000_000 + seq * 1000, random)
    // A machine running hot and slow: the process, with every sensor alive.
    if (seq >= 50) { r.rpm = 300 + seq; r.torque = 90 + seq / 10 }
    pipeline.process('factory/press-2/telemetry', payload(r))
  }
  assert.ok(sink.events.length > 0)
  assert.deepEqual(new Set(sink.events.map((e) => e.kind)), new Set(['process']))
})

test('the alert state machine: raised at the first evidence, cleared after clearAfter quiet readings; a reset forgets', () => {
  const checks = new SensorChecks(2, { clearAfter: 3, dropoutMissing: 2 }, 6)
  assert.equal(checks.gap(1), false)
  assert.equal(checks.gap(2), true)
  assert.equal(checks.update(1, true), 'raised')
  assert.equal(checks.faultOf(1), 'dropout')
  assert.equal(checks.isRaised(0), false, 'other slots are untouched')
  assert.deepEqual([checks.update(1, false), checks.update(1, false), checks.update(1, false)], ['unchanged', 'unchanged', 'cleared'])
  assert.equal(checks.update(1, true), 'raised')
  checks.reset(1)
  assert.equal(checks.isRaised(1), false)
})

test('one sensor drifting alone raises sensor_fault drift naming it; the machine changing on several signals at once stays a process alert', () => {
  const drifting = machine()
  drifting.feed(400)
  // The humidity sensor (not a model input) creeps up, everything else as before.
  drifting.feed(60, (r, i) => { r.humidity += 0.5 * (i + 1) })
  const raised = drifting.sink.events.filter((e) => e.state === 'raised')
  assert.equal(raised.length, 1, JSON.stringify(raised.map((e) => [e.kind, e.fault, e.signal, e.seq])))
  assert.deepEqual({ kind: raised[0].kind, fault: raised[0].fault, signal: raised[0].signal }, { kind: 'sensor_fault', fault: 'drift', signal: 'humidity' })
  checkEvents(drifting.sink.events)

  const failing = machine()
  failing.feed(400)
  // The machine slows down under more torque and runs hotter: speed, torque and temperature move together.
  failing.feed(40, (r, i) => {
    const p = Math.min(1, (i + 1) / 10)
    r.rpm -= 500 * p
    r.torque += 30 * p
    r.temperature += 8 * p
  })
  const first = failing.sink.events.find((e) => e.state === 'raised')
  assert.equal(first?.kind, 'process', 'the failure is announced as a process alert')
})

test('a drifting sensor that the model sees is named when the process alert would have raised', () => {
  const { sink, feed } = machine()
  feed(400)
  // Torque (a model input) creeps up alone: the forest notices before the drift rule alone would.
  feed(80, (r, i) => { r.torque += 0.6 * (i + 1) })
  const first = sink.events.find((e) => e.state === 'raised')
  assert.deepEqual({ kind: first?.kind, fault: first?.fault, signal: first?.signal }, { kind: 'sensor_fault', fault: 'drift', signal: 'torque' })
  assert.equal(sink.events.filter((e) => e.kind === 'process').length, 0, 'no process alert while the drift alert is up')
})

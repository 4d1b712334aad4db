import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Random } from '@factory-edge/shared/ml'
import { anomalousReading, normalReading, payload, trainTestModel } from '@factory-edge/test-support/readings'
import { DetectorPipeline, type PipelineSink } from '../../src/index.js'
import { MachineHistory, STATE_CODE } from '../../src/web/machine-history.js'

const sink: PipelineSink = { anomaly: () => {}, rejected: () => {}, line: () => {}, evicted: () => {}, tracked: () => {} }

test('machine history: a bounded ring per machine, readings folded into samples, signals kept to chart precision', () => {
  const history = new MachineHistory(2, { samples: 5, sampleEveryMs: 2000, silentMs: 10_000 }, 6)
  const pipeline = new DetectorPipeline({ model: trainTestModel(), sink, observer: history, maxMachines: 2, points: false, alert: { k: 1, m: 1, baselineAlpha: 0, cooldownMs: 0 } })
  history.attach(pipeline)
  history.tick(1_000_000)
  const random = new Random(4)
  const readings = []
  for (let seq = 0; seq < 20; seq++) readings.push(normalReading('a', seq, 5_000_000 + seq * 1000, random))
  readings[17] = anomalousReading('a', 17, 5_000_000 + 17 * 1000)
  for (const r of readings) pipeline.process('factory/a/telemetry', payload(r))
  const slot = pipeline.machines.slotOf('a')
  const series = history.series(slot)

  assert.equal(series.ts.length, 5, 'the ring keeps its last 5 samples')
  assert.deepEqual(series.ts, [5_010_000, 5_012_000, 5_014_000, 5_016_000, 5_018_000], 'one sample per 2 s of reading time')
  // The sample of readings 16 and 17 holds the anomalous reading's score and state, though it came second.
  assert.equal(series.state[3], STATE_CODE.anomalous)
  assert.ok((series.score[3] ?? 0) > (pipeline.model?.threshold ?? 1) && (series.score[3] ?? 0) > (series.score[2] ?? 1))
  // Signals are those of each sample's first reading, to within their 16-bit steps.
  const first = readings[18]
  assert.ok(Math.abs((series.signals.rpm[4] ?? NaN) - first.rpm) < 0.5, `rpm ${series.signals.rpm[4]} vs ${first.rpm}`)
  assert.ok(Math.abs((series.signals.temperature[4] ?? NaN) - first.temperature) < 0.01)
  assert.deepEqual(history.alertScores(slot, 2), series.alertScore.slice(3))
  assert.deepEqual(series.alertScore, series.score, 'without calibration the alert rule holds the model\'s score against the threshold')

  // Silence is wall-clock time without a reading.
  history.tick(1_000_000 + 10_001)
  assert.equal(history.stateCode(slot), STATE_CODE.silent)
  pipeline.process('factory/a/telemetry', payload(normalReading('a', 20, 5_020_000, random)))
  assert.notEqual(history.stateCode(slot), STATE_CODE.silent)

  // A publisher's word that it is offline (its last will) holds until its next reading or an online.
  history.setOnline(slot, false)
  assert.equal(history.stateCode(slot), STATE_CODE.offline)
  pipeline.process('factory/a/telemetry', payload(normalReading('a', 21, 5_021_000, random)))
  assert.notEqual(history.stateCode(slot), STATE_CODE.offline)
  history.setOnline(slot, false)
  history.setOnline(slot, true)
  assert.notEqual(history.stateCode(slot), STATE_CODE.offline)

  // A machine taking the slot of an evicted one starts with an empty history.
  pipeline.process('factory/b/telemetry', payload(normalReading('b', 0, 5_000_000, random)))
  pipeline.process('factory/c/telemetry', payload(normalReading('c', 0, 5_000_000, random)))
  assert.equal(pipeline.machines.slotOf('a'), -1)
  assert.equal(history.series(pipeline.machines.slotOf('c')).ts.length, 1)
})

test('machine history: with calibration the alert score is what the rule compares, so over the threshold means counting towards an alert', () => {
  const history = new MachineHistory(1, { samples: 200, sampleEveryMs: 1000, silentMs: 10_000 }, 6)
  const pipeline = new DetectorPipeline({ model: trainTestModel(), sink, observer: history, maxMachines: 1, points: false, alert: { k: 1, m: 1, hysteresis: 0, cooldownMs: 0 } })
  history.attach(pipeline)
  const random = new Random(8)
  const threshold = pipeline.model?.threshold ?? NaN
  let raisedOverThreshold = 0
  for (let seq = 0; seq < 160; seq++) {
    const r = seq >= 100 && seq < 120 ? anomalousReading('a', seq, 5_000_000 + seq * 1000) : normalReading('a', seq, 5_000_000 + seq * 1000, random)
    pipeline.process('factory/a/telemetry', payload(r))
    const slot = pipeline.machines.slotOf('a')
    const alertScore = pipeline.alerts.ruleScore[slot]
    // With k = m = 1 and no hysteresis the alert is up exactly while the last alert score is over.
    assert.equal(pipeline.alerts.isRaised(slot), alertScore > threshold, `reading ${seq}: alert score ${alertScore} against ${threshold}`)
    if (alertScore > threshold) raisedOverThreshold++
  }
  assert.ok(raisedOverThreshold >= 5, `the failure raised (${raisedOverThreshold} readings over)`)
  const series = history.series(0)
  assert.ok(series.alertScore.some((v, i) => v !== series.score[i]), 'the calibrated alert score differs from the model\'s score')
})

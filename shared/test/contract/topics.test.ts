import { test } from 'node:test'
import assert from 'node:assert/strict'
import { allMachinesTopic, isMachineId, machineIdFromTopic, machineTopic } from '../../src/contract/topics.js'

test('topics are <prefix>/<machineId>/<kind>', () => {
  assert.equal(machineTopic('telemetry', 'm-1'), 'factory/m-1/telemetry')
  assert.equal(machineTopic('anomalies', 'm-1', 'plant/a'), 'plant/a/m-1/anomalies')
  assert.equal(allMachinesTopic('anomalies'), 'factory/+/anomalies')
})

test('machine ids are extracted from topics of the given prefix only', () => {
  assert.equal(machineIdFromTopic('factory/press-7/telemetry'), 'press-7')
  assert.equal(machineIdFromTopic('plant/a/m1/telemetry', 'plant/a'), 'm1')
  assert.equal(machineIdFromTopic('factoryx/m1/telemetry'), undefined)
  assert.equal(machineIdFromTopic('factory/m1'), undefined)
})

test('machine ids are single topic levels without wildcards', () => {
  assert.ok(isMachineId('machine-1'))
  assert.ok(isMachineId('M_2.a'))
  for (const bad of ['', 'a/b', 'a+b', '#', '-lead', 'x'.repeat(65)]) assert.equal(isMachineId(bad), false, bad)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GroundTruth } from '@factory-edge/shared/contract'
import { FAILURE_MODES } from '@factory-edge/shared/data'
import { parseDuration, parseScenario, readScenarioFile, ScenarioSchedule, SENSOR_FAULT_MODES } from '../src/index.js'

test('parses scenarios with aliases, units and durations', () => {
  assert.deepEqual(parseScenario('overheat:machine-3@30s'), { mode: 'HDF', machineId: 'machine-3', atMs: 30_000 })
  assert.deepEqual(parseScenario('osf:press_1@1.5m'), { mode: 'OSF', machineId: 'press_1', atMs: 90_000 })
  assert.deepEqual(parseScenario('stuck:m1@500ms+20s'), { mode: 'stuck', machineId: 'm1', atMs: 500, durationMs: 20_000 })
  assert.equal(parseDuration('2h'), 7_200_000)
  assert.equal(parseDuration('12'), 12_000)
  assert.throws(() => parseScenario('overheat-machine-3'), /expected mode:machine@time/)
  assert.throws(() => parseScenario('melt:m1@3s'), /unknown mode "melt"/)
  assert.throws(() => parseScenario('spike:m1@soon'), /invalid time "soon"/)
  assert.throws(() => parseScenario('spike:m1@1s+0s'), /invalid duration "0s"/)
})

test('reads a scenario file and names the line of a bad entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scenarios-'))
  try {
    const good = join(dir, 'good.txt')
    writeFileSync(good, '# plant test\noverheat:machine-1@10s\n\n  drift:machine-2@1m+30s   # slow sensor\n')
    assert.deepEqual(readScenarioFile(good).map((s) => s.mode), ['HDF', 'drift'])
    const bad = join(dir, 'bad.txt')
    writeFileSync(bad, 'overheat:machine-1@10s\nexplode:machine-2@5s\n')
    assert.throws(() => readScenarioFile(bad), /bad\.txt:2: unknown mode "explode"/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a schedule turns times into reading numbers at the machine rate and fires each trigger once', () => {
  const schedule = new ScenarioSchedule([parseScenario('PWF:b@1s'), parseScenario('stuck:b@0.5s+1s')], ['a', 'b'], 4)
  const fired: Array<[string, number | undefined, number]> = []
  for (let cycle = 0; cycle < 10; cycle++) {
    schedule.apply(1, cycle, { inject: (mode, readings) => fired.push([mode, readings, cycle]) })
    schedule.apply(0, cycle, { inject: () => assert.fail('machine a has no scenario') })
  }
  assert.deepEqual(fired, [['stuck', 4, 2], ['PWF', undefined, 4]])
  assert.throws(() => new ScenarioSchedule([parseScenario('PWF:zz@1s')], ['a'], 1), /unknown machine/)
})

test("GroundTruth.mode's description in the contract names every mode the simulator injects", () => {
  const listed = (GroundTruth.properties.mode.description ?? '').split(/[^A-Za-z]+/)
  for (const mode of [...FAILURE_MODES, ...SENSOR_FAULT_MODES]) assert.ok(listed.includes(mode), `${mode} is missing`)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Telemetry } from '@factory-edge/shared/contract'
import { Random, saveModel } from '@factory-edge/shared/ml'
import { anomalousReading, normalReading, trainTestModel } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { evaluateWindows, loadWindows, matchEpisodes } from '../../src/scoring/index.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '../../src/bin/edge-detector.js')
const model = trainTestModel()
const T0 = Date.UTC(2026, 0, 1)

/** Two machines a reading a second for 20 minutes; m1 is anomalous from minute 10 for 15 readings. */
function readings (): Telemetry[] {
  const random = new Random(9)
  const out: Telemetry[] = []
  for (let i = 0; i < 1200; i++) {
    for (const id of ['m0', 'm1']) {
      const ts = T0 + i * 1000
      out.push(id === 'm1' && i >= 600 && i < 615 ? anomalousReading(id, i, ts) : normalReading(id, i, ts, random))
    }
  }
  return out
}

test('matchEpisodes: a raise in an episode (or its grace) detects it, once; a raise elsewhere is a false alarm', () => {
  const episodes = [{ machineId: 'a', kind: 'anomaly', mode: 'x', first: 100, last: 200 }, { machineId: 'b', kind: 'anomaly', mode: 'x', first: 100, last: 200 }]
  const m = matchEpisodes([{ machineId: 'a', at: 150 }, { machineId: 'a', at: 160 }, { machineId: 'a', at: 205 }, { machineId: 'a', at: 300 }, { machineId: 'c', at: 150 }], episodes, 'anomaly', 10)
  assert.deepEqual(m, { detected: 1, episodes: 2, delays: [50], falseAlarms: 2, labelledSensorFault: 0 })
})

test('evaluate --windows: windows detected, delay and false alarms per machine-day, from CSV or JSON windows', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const file = join(dir.dir, 'readings.ndjson')
  await writeFile(file, readings().map((r) => JSON.stringify(r)).join('\n') + '\n')
  const csv = join(dir.dir, 'windows.csv')
  await writeFile(csv, `machine,start,end\nm1,${new Date(T0 + 600_000).toISOString()},${T0 + 614_000}\nm0,${T0 + 300_000},${T0 + 310_000}\n`)
  const windows = await loadWindows(csv)
  assert.deepEqual(windows.map((w) => [w.machineId, w.first, w.last]), [['m1', T0 + 600_000, T0 + 614_000], ['m0', T0 + 300_000, T0 + 310_000]])
  const result = await evaluateWindows(file, windows, { model, graceMs: 60_000 })
  assert.equal(result.windows, 2)
  assert.equal(result.detected, 1, 'the anomalous stretch is found; the window labelled on a normal stretch is not')
  assert.ok(result.delayP50S >= 0 && result.delayP50S <= 10, `delay ${result.delayP50S} s`)
  assert.equal(result.falseAlarms, 0)
  assert.ok(Math.abs(result.machineDays - 2 * 1199 / 86_400) < 1e-9)

  const json = join(dir.dir, 'windows.json')
  await writeFile(json, JSON.stringify([{ machine: 'm1', start: T0 + 600_000, end: T0 + 614_000 }]))
  const modelPath = join(dir.dir, 'model.json')
  await saveModel(modelPath, model)
  const run = spawnSync(process.execPath, [bin, 'evaluate', '--model', modelPath, '--csv', file, '--windows', json, '--json'], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const out = JSON.parse(run.stdout) as { windows: number, detected: number, recall: number, falseAlarms: number }
  assert.deepEqual([out.windows, out.detected, out.recall, out.falseAlarms], [1, 1, 1, 0])
  await writeFile(csv, 'machine,begin,end\nm1,1,2\n')
  await assert.rejects(loadWindows(csv), /no "start" column/)
})

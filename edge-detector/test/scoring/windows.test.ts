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
import { assertOneLineExit } from '@factory-edge/test-support/child-process'
import { evaluateWindows, loadWindows, matchEpisodes } from '../../src/scoring/index.js'
import { inMemoryBaselines } from '../../src/baseline/hooks.js'
import { CLOG_FROM, CLOG_TO, HISTORIAN_COLUMNS, HISTORIAN_STEP_MS, HISTORIAN_T0, historianCsv, PUMP_PROFILES, PUMP_PROFILES_FILE } from './fixtures.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '../../src/bin/edge-detector.js')
const model = trainTestModel()
const T0 = Date.UTC(2026, 0, 1)

/** Two machines a reading a second for 20 minutes; m1 is anomalous from minute 10 for 15 readings. */
function twoMachines (): Telemetry[] {
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
  await writeFile(file, twoMachines().map((r) => JSON.stringify(r)).join('\n') + '\n')
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
  // Row-level beside them: the 15 anomalous readings of m1 and the 11 of the normal stretch labelled on m0.
  assert.deepEqual([result.rows.scored, result.rows.inWindows, result.rows.learning], [2400, 26, 0])
  assert.ok(result.rows.auc > 0.6 && result.rows.auc < 1, `ROC-AUC ${result.rows.auc}: m1's window found, m0's not`)
  assert.ok(result.rows.ap > 0 && result.rows.ap < 1, `average precision ${result.rows.ap}`)

  const json = join(dir.dir, 'windows.json')
  await writeFile(json, JSON.stringify([{ machine: 'm1', start: T0 + 600_000, end: T0 + 614_000 }]))
  const modelPath = join(dir.dir, 'model.json')
  await saveModel(modelPath, model)
  const run = spawnSync(process.execPath, [bin, 'evaluate', '--model', modelPath, '--csv', file, '--windows', json, '--json'], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const out = JSON.parse(run.stdout) as { windows: number, detected: number, recall: number, falseAlarms: number, rows: { inWindows: number, auc: number } }
  assert.deepEqual([out.windows, out.detected, out.recall, out.falseAlarms, out.rows.inWindows], [1, 1, 1, 0, 15])
  assert.ok(out.rows.auc > 0.99, `the anomalous rows score above the normal ones: ROC-AUC ${out.rows.auc}`)
})

/** The historian export of a pump, its profiles file, and anomaly windows: the clog, and one while the pump learns. */
async function pumpFiles (dir: string): Promise<{ readings: string, profiles: string, windows: string }> {
  const readings = join(dir, 'historian.csv')
  await writeFile(readings, historianCsv().text)
  const profiles = join(dir, 'profiles.json')
  await writeFile(profiles, JSON.stringify(PUMP_PROFILES_FILE))
  const windows = join(dir, 'windows.csv')
  const at = (row: number): string => new Date(HISTORIAN_T0 + row * HISTORIAN_STEP_MS).toISOString()
  await writeFile(windows, `machine,start,end,label\npump-7,${at(CLOG_FROM)},${at(CLOG_TO - 1)},clog\npump-7,${at(50)},${at(60)},while learning\n`)
  return { readings, profiles, windows }
}

test('evaluate --windows --profiles: a pump that learns its baseline, then event-level figures and ROC/PR of its scored rows in one report', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const files = await pumpFiles(dir.dir)
  const result = await evaluateWindows(files.readings, await loadWindows(files.windows), { profiles: PUMP_PROFILES, baselines: inMemoryBaselines(), machineId: 'pump-7', columns: HISTORIAN_COLUMNS, graceMs: 60_000 })
  assert.deepEqual([result.windows, result.windowsWhileLearning, result.detected, result.falseAlarms], [1, 1, 1, 0], 'the clog is found, nothing else raises; the window while learning is left out')
  assert.ok(result.delayP50S >= 0 && result.delayP50S <= 10 * 60, `delay ${result.delayP50S} s`)
  const rows = result.rows
  assert.ok(rows.learning >= 200, `${rows.learning} rows learned on, left out`)
  assert.equal(rows.scored + rows.learning + rows.unscored, 500, 'every row counted once')
  assert.equal(rows.inWindows, CLOG_TO - CLOG_FROM, 'the clog\'s rows are the positives')
  assert.ok(rows.auc > 0.9 && rows.auc <= 1, `ROC-AUC ${rows.auc}`)
  assert.ok(rows.ap > 0.5 && rows.ap <= 1, `average precision ${rows.ap}`)
  assert.ok(Math.abs(result.machineDays - (499 - rows.learning) * HISTORIAN_STEP_MS / 86_400_000) < 1e-9, 'machine-days after the learning')

  // The command: no model file needed, --profile names the profile whatever the machine id.
  const args = ['evaluate', '--csv', files.readings, '--windows', files.windows, '--profiles', files.profiles, '--profile', 'pump', '--machine', 'pump-7', '--columns', HISTORIAN_COLUMNS.join(','), '--model', join(dir.dir, 'none.json')]
  const text = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  assert.equal(text.status, 0, text.stderr)
  assert.match(text.stdout, /^profiles of .*profiles\.json on .*historian\.csv: 1 anomaly windows \(1 more left out: they begin while their machine learns\)/)
  assert.match(text.stdout, /windows detected +1 of 1 \(1\.000\)/)
  assert.match(text.stdout, /false alarms +0 \(0\.00 per machine-day\)/)
  assert.match(text.stdout, new RegExp(`rows: ${rows.scored} scored, 30 of them in anomaly windows; left out: ${rows.learning} learned on, 0 not scored`))
  assert.match(text.stdout, new RegExp(`ROC-AUC +${rows.auc.toFixed(3)}\n  average precision +${rows.ap.toFixed(3)}`))
  const json = spawnSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8' })
  assert.equal(json.status, 0, json.stderr)
  const parsed = JSON.parse(json.stdout) as { detected: number, rows: { auc: number }, model?: unknown, profile: string }
  assert.deepEqual([parsed.detected, parsed.rows.auc, parsed.model, parsed.profile], [1, rows.auc, undefined, 'pump'])

  // Windows only on another machine: no positive row, the row-level figures say why they are undefined.
  await writeFile(files.windows, `machine,start,end\npump-9,${HISTORIAN_T0},${HISTORIAN_T0 + 600_000}\n`)
  const none = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  assert.equal(none.status, 0, none.stderr)
  assert.match(none.stdout, /ROC-AUC +undefined \(no anomaly windows in the data\)/)
  assert.match(none.stdout, /average precision +undefined \(no anomaly windows in the data\)/)
  assert.match(none.stdout, /false alarms +([1-9]\d*) .*\n {2}alerts raised +\1\n/, 'the clog\'s raises match no window')

  assertOneLineExit(spawnSync(process.execPath, [bin, 'evaluate', '--csv', files.readings, '--profiles', files.profiles], { encoding: 'utf8' }), 2, /--profiles \(PROFILES_PATH\) needs --windows FILE/)
  assertOneLineExit(spawnSync(process.execPath, [bin, 'evaluate', '--csv', files.readings, '--windows', files.windows, '--profile', 'pump'], { encoding: 'utf8' }), 2, /--profile NAME needs --profiles FILE/)
})

test('evaluate --windows: a bad windows file is refused in one line naming the file and the line or window', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const file = join(dir.dir, 'w.csv')
  const cases: Array<[string, RegExp]> = [
    ['machine,begin,end\nm1,1,2\n', /w\.csv: no "start" column; the header is "machine,begin,end"/],
    ['', /w\.csv: no "start" column/],
    ['machine,start,end\n', /w\.csv: no anomaly windows in it/],
    ['machine,start,end\nm1,1,2\n\nm1,5\n', /w\.csv, line 4: 2 fields, the header has 3/],
    ['machine,start,end\nm1,yesterday,2\n', /w\.csv, line 2: start "yesterday" is not a time \(ISO 8601 or epoch milliseconds\)/],
    ['machine,start,end\nm1,2026-01-02T00:00:00Z,2026-01-01T00:00:00Z\n', /w\.csv, line 2: ends before it starts/],
    ['start,end\n1,2\n', /w\.csv, line 2: no machine \(a "machine" or "machineId" column\)/],
    ['[{"machine":"m1","start":1,"end":2},{"machine":"m1","start":1}]', /w\.csv, window 2: end undefined is not a time/],
    ['[{"machine":"m1"', /w\.csv: not valid JSON/],
    ['[1, 2]', /w\.csv: expected a JSON array of windows/]
  ]
  for (const [text, message] of cases) {
    await writeFile(file, text)
    await assert.rejects(loadWindows(file), message, JSON.stringify(text))
  }
  await writeFile(file, cases[4][0])
  const readings = join(dir.dir, 'readings.ndjson')
  await writeFile(readings, twoMachines().map((r) => JSON.stringify(r)).join('\n') + '\n')
  const modelPath = join(dir.dir, 'model.json')
  await saveModel(modelPath, model)
  assertOneLineExit(spawnSync(process.execPath, [bin, 'evaluate', '--model', modelPath, '--csv', readings, '--windows', file], { encoding: 'utf8' }), 1, /w\.csv, line 2: start "yesterday" is not a time/)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AnomalyEvent, Telemetry } from '@factory-edge/shared/contract'
import { Random, saveModel } from '@factory-edge/shared/ml'
import { anomalousReading, normalReading, payload, trainTestModel } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { assertOneLineExit } from '@factory-edge/test-support/child-process'
import { DetectorPipeline } from '../../src/pipeline/pipeline.js'
import { scoreFile, SCORE_COLUMNS } from '../../src/scoring/score-file.js'
import { RecordingSink } from '../helpers/recording-sink.js'
import { HISTORIAN_COLUMNS, historianCsv, PUMP_PROFILES } from './fixtures.js'
import { inMemoryBaselines } from '../../src/baseline/hooks.js'

const bin = join(dirname(fileURLToPath(import.meta.url)), '../../src/bin/edge-detector.js')
const model = trainTestModel()

/** Three machines interleaved in time; machine m1 is anomalous for 12 readings. */
function readings (): Telemetry[] {
  const random = new Random(3)
  const out: Telemetry[] = []
  for (let i = 0; i < 300; i++) {
    for (const id of ['m0', 'm1', 'm2']) {
      const ts = 1_000_000 + i * 1000
      out.push(id === 'm1' && i >= 150 && i < 162 ? anomalousReading(id, i, ts) : normalReading(id, i, ts, random))
    }
  }
  return out
}

test('score: one row per input row in input order, with the scores and alert changes the service computes for the same readings', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const input = readings()
  const file = join(dir.dir, 'readings.ndjson')
  await writeFile(file, input.map((r) => JSON.stringify(r)).join('\n') + '\n')
  const out = join(dir.dir, 'scored.csv')
  const summary = await scoreFile(file, out, { model })
  assert.deepEqual({ rows: summary.rows, scored: summary.scored, rejected: summary.rejected }, { rows: 900, scored: 900, rejected: 0 })

  // The service's path: each reading as the telemetry payload on its topic.
  const sink = new RecordingSink()
  const service = new DetectorPipeline({ model, sink, points: false })
  const expected: Array<{ score: number, alert: string }> = []
  for (const r of input) {
    const before = sink.events.length
    service.process(`factory/${r.machineId}/telemetry`, payload(r))
    const event: AnomalyEvent | undefined = sink.events.length > before ? sink.events.at(-1) : undefined
    expected.push({ score: service.alerts.lastScore[service.lastSlot], alert: event?.state ?? '' })
  }

  const [header, ...rows] = (await readFile(out, 'utf8')).trim().split('\n').map((l) => l.split(','))
  assert.deepEqual(header, [...SCORE_COLUMNS])
  assert.equal(rows.length, input.length)
  rows.forEach((row, i) => {
    assert.equal(row[1], String(input[i].ts))
    assert.equal(row[2], input[i].machineId)
    assert.equal(Number(row[4]), expected[i].score, `row ${i + 1}: the service's score`)
    assert.equal(row[6], expected[i].alert, `row ${i + 1}: the service's alert change`)
  })
  const raised = rows.filter((r) => r[6] === 'raised')
  assert.ok(raised.length >= 1 && raised.every((r) => r[2] === 'm1'), 'the anomalous machine alerts, the others do not')
  assert.ok(rows.some((r) => r[2] === 'm1' && r[6] === 'cleared'), 'and clears once it is normal again')
  assert.ok(rows.filter((r) => r[2] === 'm1' && r[3] === 'anomalous').length >= 5, 'its state while alerting')
})

test('score: a bad row stops it with the line named, or becomes a rejected row in its place', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const random = new Random(5)
  // Enough lines for several parts of the reader, which reports a part's bad rows before its good ones.
  const count = 3000
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify(normalReading('m0', i, 1_000_000 + i * 1000, random)))
  for (const i of [6, 1500, count - 1]) lines[i] = `{"machineId":"m0","ts":${1_000_000 + i * 1000},"seq":${i},"temperature":"hot"}`
  const file = join(dir.dir, 'bad.ndjson')
  await writeFile(file, lines.join('\n') + '\n')
  const out = join(dir.dir, 'scored.csv')
  await assert.rejects(scoreFile(file, out, { model }), /line 7/)
  const summary = await scoreFile(file, out, { model, skipBadRows: true })
  assert.equal(summary.rows, count)
  assert.equal(summary.rejected, 3)
  const rows = (await readFile(out, 'utf8')).trim().split('\n').slice(1)
  assert.equal(rows.length, count)
  for (const i of [6, 1500, count - 1]) assert.match(rows[i], new RegExp(`^${i + 1},,,rejected,`))
  assert.deepEqual(rows.map((r) => Number(r.split(',')[0])), Array.from({ length: count }, (_, i) => i + 1), 'in input order')
})

test('edge-detector score: the command writes the file; missing settings exit 2 with one line', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const modelPath = join(dir.dir, 'model.json')
  await saveModel(modelPath, model)
  const file = join(dir.dir, 'readings.ndjson')
  await writeFile(file, readings().map((r) => JSON.stringify(r)).join('\n') + '\n')
  const out = join(dir.dir, 'scored.csv')
  const ok = spawnSync(process.execPath, [bin, 'score', '--csv', file, '--model', modelPath, '--out', out, '--log-format', 'json'], { encoding: 'utf8' })
  assert.equal(ok.status, 0, ok.stderr)
  assert.match(ok.stdout, /scored 900 rows/)
  assert.equal((await readFile(out, 'utf8')).trim().split('\n').length, 901)
  assertOneLineExit(spawnSync(process.execPath, [bin, 'score', '--csv', file, '--model', modelPath], { encoding: 'utf8' }), 2, /--out/)
})

test('score with profiles: any time-series CSV, learning then scoring, the same as the service\'s pipeline fed the same readings', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const { text, rows: input } = historianCsv()
  const file = join(dir.dir, 'historian.csv')
  await writeFile(file, text)
  const out = join(dir.dir, 'scored.csv')
  const options = { profiles: PUMP_PROFILES, baselines: inMemoryBaselines(), machineId: 'pump-7', columns: HISTORIAN_COLUMNS }
  const summary = await scoreFile(file, out, options)
  assert.equal(summary.rows, 500)

  const sink = new RecordingSink()
  const service = new DetectorPipeline({ profiles: PUMP_PROFILES, baselines: inMemoryBaselines(), sink, points: false })
  const expected = input.map((r, seq) => {
    const before = sink.events.length
    const outcome = service.process('factory/pump-7/telemetry', payload({ machineId: 'pump-7', ts: r.ts, seq, flow: r.flow, pressure: r.pressure }))
    const event = sink.events.length > before ? sink.events.at(-1) : undefined
    return { outcome, score: service.alerts.lastScore[service.lastSlot], alert: event?.state ?? '' }
  })
  const [, ...rows] = (await readFile(out, 'utf8')).trim().split('\n').map((l) => l.split(','))
  assert.equal(rows.length, 500, 'one row per input row')
  rows.forEach((row, i) => {
    assert.equal(row[1], String(input[i].ts))
    assert.equal(row[2], 'pump-7')
    if (expected[i].outcome === 'learning') {
      assert.equal(row[3], 'learning', `row ${i + 1}`)
      assert.equal(row[4], '', 'no score while learning')
    } else {
      assert.equal(Number(row[4]), expected[i].score, `row ${i + 1}: the service's score`)
      assert.equal(row[6], expected[i].alert, `row ${i + 1}: the service's alert change`)
    }
  })
  assert.ok(rows.filter((r) => r[3] === 'learning').length >= 200, 'the first rows learn')
  const raised = rows.filter((r) => r[6] === 'raised').map((r) => Number(r[0]) - 2)
  assert.ok(raised.some((i) => i >= 400 && i < 440), `the clog raises an alert (raised at rows ${raised.join(', ')})`)
  assert.deepEqual(raised.filter((i) => i < 400 || i >= 440), [], 'and nothing else does')
})

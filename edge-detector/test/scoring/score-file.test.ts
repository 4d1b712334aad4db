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
  const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify(normalReading('m0', i, 1_000_000 + i * 1000, random)))
  lines[6] = '{"machineId":"m0","ts":1006000,"seq":6,"temperature":"hot"}'
  const file = join(dir.dir, 'bad.ndjson')
  await writeFile(file, lines.join('\n') + '\n')
  const out = join(dir.dir, 'scored.csv')
  await assert.rejects(scoreFile(file, out, { model }), /line 7/)
  const summary = await scoreFile(file, out, { model, skipBadRows: true })
  assert.equal(summary.rows, 20)
  assert.equal(summary.rejected, 1)
  const rows = (await readFile(out, 'utf8')).trim().split('\n').slice(1)
  assert.equal(rows.length, 20)
  assert.match(rows[6], /^7,,,rejected,/)
  assert.deepEqual(rows.map((r) => Number(r.split(',')[0])), Array.from({ length: 20 }, (_, i) => i + 1), 'in input order')
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

import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeTelemetry, type GroundTruth, type Telemetry } from '@factory-edge/shared/contract'
import { createLogger } from '@factory-edge/shared/runtime'
import { DataError } from '@factory-edge/shared/data'
import { replayFile } from '../src/index.js'
import { startAedes } from '@factory-edge/test-support/aedes'
import { eventually } from '@factory-edge/test-support/wait'
import { record } from './helpers/recorder.js'

const logger = createLogger('replay-test', { level: 'silent' })
const dir = mkdtempSync(join(tmpdir(), 'replay-test-'))
const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })]
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

const AI4I_HEADER = 'UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF'

test('replays an AI4I CSV (with BOM) in order, skips and counts a bad row, and publishes failures as ground truth', async () => {
  const file = join(dir, 'ai4i.csv')
  writeFileSync(file, '\uFEFF' + [
    AI4I_HEADER,
    '1,M14860,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0',
    '2,L47181,L,298.2,308.7,1408,46.3,3,0,0,0,0,0,0',
    '3,L47182,L,298.1,308.5,oops,49.4,5,0,0,0,0,0,0',
    '4,L47183,L,298.2,308.6,1433,39.5,7,1,0,1,0,0,0',
    '5,L47184,L,298.2,308.7,1408,40.0,9,0,0,0,0,0,0',
    ''
  ].join('\r\n'))
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const result = await replayFile({ brokerUrl: broker.url, file, speed: 20, machine: 'mill-7', logger })
  assert.equal(result.format, 'csv')
  assert.equal(result.published, 4)
  assert.equal(result.bad, 1)
  assert.equal(result.truthEvents, 2)
  await eventually(() => rec.of('telemetry').length === 4 && rec.of('truth').length === 2, 10_000, 'replayed messages')
  const readings = rec.of('telemetry').map((m) => { const d = decodeTelemetry(m.payload, 'mill-7'); assert.ok(d.ok); return d.value })
  assert.deepEqual(readings.map((r) => r.seq), [0, 1, 3, 4])
  assert.equal(readings[0].temperature, 35.45)
  assert.equal(readings[0].airTemperature, 24.95)
  assert.equal(readings[0].productType, 'M')
  // Paced: one row per second at speed 20 is 50 ms apart, stamped from now.
  assert.deepEqual(readings.map((r) => r.ts - readings[0].ts), [0, 1000, 3000, 4000])
  assert.ok(Math.abs(readings[0].ts - Date.now()) < 60_000)
  assert.ok(result.durationMs >= 150, `took ${result.durationMs} ms`)
  const truth = rec.of('truth').map((m) => JSON.parse(m.payload.toString()) as GroundTruth)
  assert.deepEqual(truth.map((t) => [t.mode, t.phase, t.seq]), [['HDF', 'start', 3], ['HDF', 'end', 4]])
  assert.ok(rec.of('status').some((m) => JSON.parse(m.payload.toString()).status === 'offline'))
})

test('replays recorded NDJSON in time order, filtered by machine, and names bad lines', async () => {
  const file = join(dir, 'recorded.ndjson')
  const reading = (machineId: string, ts: number, seq: number): Telemetry => ({ machineId, ts, seq, temperature: 36.5, airTemperature: 26.4, rpm: 1500, torque: 40, toolWear: 10, humidity: 45 })
  writeFileSync(file, [
    JSON.stringify(reading('a', 1000, 0)),
    JSON.stringify(reading('b', 1000, 0)),
    JSON.stringify(reading('a', 3000, 2)),
    JSON.stringify(reading('a', 2000, 1)),
    '{"machineId":"a","ts":4000,"seq":3,"temperature":NaN}',
    JSON.stringify({ ...reading('a', 5000, 4), rpm: -5 }),
    JSON.stringify(reading('a', 6000, 5))
  ].join('\n') + '\n')
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const result = await replayFile({ brokerUrl: broker.url, file, speed: 0, machine: 'a', originalTimestamps: true, logger })
  assert.equal(result.format, 'ndjson')
  assert.equal(result.bad, 2)
  assert.equal(result.published, 4)
  await eventually(() => rec.of('telemetry').length === 4, 10_000, 'replayed messages')
  const readings = rec.of('telemetry').map((m) => JSON.parse(m.payload.toString()) as Telemetry)
  assert.deepEqual(readings.map((r) => r.ts), [1000, 2000, 3000, 6000])
  assert.ok(readings.every((r) => r.machineId === 'a'))
})

test('replays a recorded telemetry CSV, and refuses a file without the reading columns before connecting', async () => {
  const file = join(dir, 'recorded.csv')
  writeFileSync(file, 'machineId,ts,seq,temperature,airTemperature,rpm,torque,toolWear,humidity,productType\nm1,100,0,36.1,26.2,1500,40.1,3,44.2,L\nm1,200,1,36.2,26.2,1490,41.1,5,44.0,L\n')
  const broker = await startAedes()
  cleanups.push(broker.close)
  const result = await replayFile({ brokerUrl: broker.url, file, speed: 0, logger })
  assert.equal(result.published, 2)
  assert.equal(result.bad, 0)
  const other = join(dir, 'other.csv')
  writeFileSync(other, 'a,b,c\n1,2,3\n')
  // A dead broker address: the file is refused before any connection is tried.
  await assert.rejects(replayFile({ brokerUrl: 'mqtt://127.0.0.1:1', file: other, speed: 0, logger }), (err: Error) => {
    assert.ok(err instanceof DataError)
    assert.match(err.message, /other\.csv: no timestamp column \(named ts, time, timestamp, or given by name\); columns found: "a", "b", "c"$/)
    return true
  })
})

const START = Date.UTC(2026, 0, 1, 8, 0, 0)
const TIMESTAMP_FORMS: Array<[string, (ms: number) => string]> = [
  ['ISO 8601', (ms) => new Date(ms).toISOString()],
  ['ISO 8601 with an offset', (ms) => new Date(ms + 3_600_000).toISOString().replace('Z', '+01:00')],
  ['historian YYYY-MM-DD HH:MM:SS (UTC)', (ms) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')],
  ['epoch seconds', (ms) => String(ms / 1000)],
  ['epoch milliseconds', (ms) => String(ms)]
]

test('replays a two-signal time-series CSV with each timestamp form into the expected payloads', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  for (const [form, write] of TIMESTAMP_FORMS) {
    const file = join(dir, 'line-3.csv')
    writeFileSync(file, ['Timestamp,flow,pressure', `${write(START)},101.5,5.25`, `${write(START + 1000)},99,5.3`, `${write(START + 2000)},,5.1`].join('\n') + '\n')
    const rec = await record(broker.url, 'factory/#')
    const result = await replayFile({ brokerUrl: broker.url, file, speed: 0, originalTimestamps: true, logger })
    assert.equal(result.format, 'signal-csv', form)
    assert.equal(result.published, 3, form)
    assert.equal(result.bad, 0, form)
    await eventually(() => rec.of('telemetry').length === 3, 10_000, `${form}: replayed messages`)
    // One machine per file, named after it; an empty cell leaves the signal out.
    assert.deepEqual(rec.of('telemetry').map((m) => [m.topic, m.payload.toString()]), [
      ['factory/line-3/telemetry', `{"machineId":"line-3","ts":${START},"seq":0,"flow":101.5,"pressure":5.25}`],
      ['factory/line-3/telemetry', `{"machineId":"line-3","ts":${START + 1000},"seq":1,"flow":99,"pressure":5.3}`],
      ['factory/line-3/telemetry', `{"machineId":"line-3","ts":${START + 2000},"seq":2,"pressure":5.1}`]
    ], form)
    await rec.close()
  }
})

test('a time-series CSV with a machine column: columns renamed and selected, sequence numbers per machine, bad rows named by line and the others published', async () => {
  const file = join(dir, 'historian.csv')
  writeFileSync(file, [
    'time_utc,tag,FT-101,PT-102,status',
    '2026-01-01 08:00:00,p1,100.5,5.2,RUN',
    '2026-01-01 08:00:00,p2,80,4.1,RUN',
    '2026-01-01 08:00:01,p1,101,not-a-number,RUN',
    'yesterday,p2,81,4.2,RUN',
    '2026-01-01 08:00:02,p1,102,5.3,RUN',
    '2026-01-01 08:00:02,p2,82,4.3,RUN',
    '2026-01-01 08:00:03,bad id!,82,4.3,RUN'
  ].join('\n') + '\n')
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const warnings: Array<{ line: number, reason: string }> = []
  const capture = createLogger('replay-test', { level: 'warn' })
  capture.warn = ((obj: { line?: number, reason?: string }) => { if (obj.line !== undefined) warnings.push({ line: obj.line, reason: obj.reason ?? '' }) }) as typeof capture.warn
  const columns = { timestampColumn: 'time_utc', machineColumn: 'tag', columns: ['FT-101=flow', 'PT-102=dischargePressure'] }
  const result = await replayFile({ brokerUrl: broker.url, file, speed: 0, originalTimestamps: true, logger: capture, ...columns })
  assert.equal(result.published, 4)
  assert.equal(result.bad, 3)
  assert.deepEqual(warnings.map((w) => w.line), [4, 5, 8])
  assert.match(warnings[0].reason, /^column "PT-102": "not-a-number" is not a number$/)
  assert.match(warnings[1].reason, /^column "time_utc": "yesterday" is not a timestamp/)
  assert.match(warnings[2].reason, /^column "tag": "bad id!" is not a machine id/)
  await eventually(() => rec.of('telemetry').length === 4, 10_000, 'replayed messages')
  const payloads = rec.of('telemetry').map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>)
  assert.deepEqual(payloads, [
    { machineId: 'p1', ts: START, seq: 0, flow: 100.5, dischargePressure: 5.2 },
    { machineId: 'p2', ts: START, seq: 0, flow: 80, dischargePressure: 4.1 },
    { machineId: 'p1', ts: START + 2000, seq: 1, flow: 102, dischargePressure: 5.3 },
    { machineId: 'p2', ts: START + 2000, seq: 1, flow: 82, dischargePressure: 4.3 }
  ])
  // Without --columns every numeric column is a signal (status is text, left out) and --machine keeps one machine.
  const rec2 = await record(broker.url, 'only/#')
  cleanups.push(rec2.close)
  const only = await replayFile({ brokerUrl: broker.url, file, speed: 0, originalTimestamps: true, logger, timestampColumn: 'time_utc', machineColumn: 'tag', machine: 'p2', topicPrefix: 'only' })
  assert.equal(only.published, 2)
  await eventually(() => rec2.of('telemetry').length === 2, 10_000, 'replayed messages of p2')
  assert.deepEqual(JSON.parse(rec2.of('telemetry')[0].payload.toString()), { machineId: 'p2', ts: START, seq: 0, 'FT-101': 80, 'PT-102': 4.1 })
  await assert.rejects(replayFile({ brokerUrl: broker.url, file, speed: 0, logger, columns: ['FT-101=flow'] }), /no timestamp column/)
  await assert.rejects(replayFile({ brokerUrl: broker.url, file, speed: 0, logger, timestampColumn: 'time_utc', columns: ['FT-999=flow'] }), /no column "FT-999" .*columns found: "time_utc", "tag", "FT-101", "PT-102", "status"$/)
})

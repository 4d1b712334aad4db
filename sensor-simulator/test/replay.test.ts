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
    assert.match(err.message, /other\.csv: missing column .*; columns found: "a", "b", "c"$/)
    return true
  })
})

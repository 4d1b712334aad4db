import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataError, failureModesOf, openDataFile, type DataFileOptions, type DataRecord } from '@factory-edge/shared/data'

const UCI_HEADER = 'UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF'

async function fileWith (t: { after: (fn: () => Promise<void>) => void }, name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fe-data-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

async function readAll (path: string, options: Partial<DataFileOptions> = {}): Promise<{ records: DataRecord[], bad: Array<[number, string]> }> {
  const bad: Array<[number, string]> = []
  const file = await openDataFile(path, { onBad: (line, reason) => bad.push([line, reason]), ...options })
  const records: DataRecord[] = []
  for await (const r of file.records()) records.push(r)
  return { records, bad }
}

test('AI4I rows: °C without float noise, time and sequence from the UDI (a bad row leaves its gap), type and failure modes', async (t) => {
  const path = await fileWith(t, 'ai4i.csv', '\uFEFF' + [
    UCI_HEADER,
    '1,M14860,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0',
    '2,L47181,L,298.2,308.7,oops,46.3,3,0,0,0,0,0,0',
    '3,L47182,X,298.1,308.5,1408,49.4,5,0,0,0,0,0,0',
    '4,L47183,L,298.2,308.6,1433,39.5,7,1,0,1,1,0,0',
    '5,L47184,H,298.2,308.7,1408,40.0,9,1,0,0,0,0,0'
  ].join('\r\n') + '\r\n')
  const { records, bad } = await readAll(path, { machineId: 'mill-7', intervalMs: 2000 })
  assert.deepEqual(records.map((r) => [r.machineId, r.seq, r.ts, r.productType]), [['mill-7', 0, 0, 'M'], ['mill-7', 3, 6000, 'L'], ['mill-7', 4, 8000, 'H']])
  assert.equal(records[0].temperature, 35.45)
  assert.equal(records[0].airTemperature, 24.95)
  assert.deepEqual(records.map((r) => [r.label, failureModesOf(r.modes)]), [[0, []], [1, ['HDF', 'PWF']], [1, []]])
  assert.deepEqual(bad, [[3, 'column "Rotational speed [rpm]": "oops" is not a number'], [4, 'column "Type" is "X", expected L, M or H']])
})

test('synthetic humidity is the same on every read of a file and follows the seed', async (t) => {
  const path = await fileWith(t, 'ai4i.csv', [UCI_HEADER, '1,M1,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0', '2,M2,M,298.1,308.6,1551,42.8,2,0,0,0,0,0,0'].join('\n'))
  const humidity = async (seed?: number): Promise<number[]> => (await readAll(path, { humiditySeed: seed })).records.map((r) => r.humidity)
  const first = await humidity()
  assert.deepEqual(await humidity(), first)
  assert.notDeepEqual(await humidity(7), first)
  assert.ok(first.every((h) => h > 0 && h < 100))
})

test('a telemetry export keeps its own machines, times and sequence numbers; Kaggle labels come from Failure Type', async (t) => {
  const telemetry = await fileWith(t, 'export.csv', 'machineId,ts,seq,temperature,airTemperature,rpm,torque,toolWear,humidity\nm1,2026-01-01T00:00:00Z,7,36.1,26.2,1500,40.1,3,44.2\nm2,1767225601000,9,36.2,26.2,1490,41.1,5,44.0\n')
  const { records } = await readAll(telemetry)
  assert.deepEqual(records.map((r) => [r.machineId, r.ts, r.seq, r.humidity]), [['m1', 1767225600000, 7, 44.2], ['m2', 1767225601000, 9, 44]])
  const kaggle = await fileWith(t, 'kaggle.csv', 'UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Target,Failure Type\n1,L1,L,298.1,308.6,1551,42.8,0,1,Overstrain Failure\n2,L2,L,298.1,308.6,1551,42.8,0,0,No Failure\n')
  const labelled = await readAll(kaggle, { requireLabel: true })
  assert.deepEqual(labelled.records.map((r) => [r.label, failureModesOf(r.modes)]), [[1, ['OSF']], [0, []]])
})

test('a row the CSV parser cannot read is reported with its line, and an onBad that throws stops the read', async (t) => {
  const path = await fileWith(t, 'quote.csv', [UCI_HEADER, '1,M1,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0', '2,"M2,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0'].join('\n') + '\n')
  const { records, bad } = await readAll(path)
  assert.equal(records.length, 1, 'the good row is kept')
  assert.equal(bad.length, 1)
  assert.equal(bad[0][0], 3)
  assert.match(bad[0][1], /Quote Not Closed/)
  const file = await openDataFile(path, { onBad: (line, reason) => { throw new DataError(`line ${line}: ${reason}`) } })
  await assert.rejects(async () => { for await (const r of file.records()) assert.ok(r) }, /line 3: Quote Not Closed/)
})

test('NDJSON telemetry goes through the detector\'s decoder; a file without labels is refused for evaluation', async (t) => {
  const line = (seq: number, extra: object = {}): string => JSON.stringify({ machineId: 'a', ts: 1000 + seq, seq, temperature: 36.5, airTemperature: 26.4, rpm: 1500, torque: 40, toolWear: 10, humidity: 45, ...extra })
  const path = await fileWith(t, 'recorded.ndjson', [line(0, { productType: 'H' }), '{"machineId":"a"', line(1, { rpm: -5 }), '', line(2)].join('\n') + '\n')
  const { records, bad } = await readAll(path)
  assert.deepEqual(records.map((r) => [r.line, r.seq, r.productType]), [[1, 0, 'H'], [5, 2, undefined]])
  assert.deepEqual(bad.map(([l, reason]) => [l, reason.split(':')[0]]), [[2, 'not_json'], [3, 'out_of_range']])
  await assert.rejects(openDataFile(path, { onBad: () => {}, requireLabel: true }), /telemetry has no labels to evaluate against/)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadDataset } from '../../src/training/index.js'
import { ai4iLikeRows, kaggleCsv, tempDir, uciCsv, writeText } from './fixtures.js'

const close = (a: number, b: number, eps = 1e-9): boolean => Math.abs(a - b) < eps

test('UCI ai4i2020.csv with a byte-order mark: Kelvin to °C, labels and failure modes', async (t) => {
  const dir = await tempDir(t)
  const path = await writeText(dir, 'ai4i2020.csv', '\uFEFFUDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF\n' +
    '1,M14860,M,298.1,308.6,1551,42.8,0,0,0,0,0,0,0\n' +
    '2,L47181,L,298.2,308.7,1408,46.3,3,1,0,1,0,1,0\n')
  const ds = await loadDataset(path)
  assert.equal(ds.rows, 2)
  assert.ok(close(ds.readings.airTemperature[0], 298.1 - 273.15))
  assert.ok(close(ds.readings.temperature[1], 308.7 - 273.15))
  assert.equal(ds.readings.rpm[1], 1408)
  assert.equal(ds.readings.torque[0], 42.8)
  assert.equal(ds.readings.toolWear[1], 3)
  assert.deepEqual([...(ds.label as Uint8Array)], [0, 1])
  assert.deepEqual([...ds.modes], [0, 0b01010]) // HDF and OSF
  assert.equal(ds.syntheticHumidity, true)
  assert.deepEqual(ds.machines, ['ai4i'])
})

test('synthetic humidity is plausible and the same on every load', async (t) => {
  const dir = await tempDir(t)
  const path = await writeText(dir, 'a.csv', uciCsv(ai4iLikeRows(200, 1)))
  const a = await loadDataset(path)
  const b = await loadDataset(path)
  assert.deepEqual(a.readings.humidity, b.readings.humidity)
  for (const h of a.readings.humidity) assert.ok(h >= 20 && h <= 70, `humidity ${h}`)
  assert.ok(new Set(a.readings.humidity).size > 30, 'humidity varies from row to row')
  const other = await loadDataset(path, { humiditySeed: 7 })
  assert.notDeepEqual(a.readings.humidity, other.readings.humidity)
})

test('Kaggle predictive_maintenance.csv: Target and Failure Type give the same labels and modes as UCI', async (t) => {
  const dir = await tempDir(t)
  const rows = ai4iLikeRows(300, 2)
  const uci = await loadDataset(await writeText(dir, 'uci.csv', uciCsv(rows)))
  const kaggle = await loadDataset(await writeText(dir, 'kaggle.csv', kaggleCsv(rows)))
  assert.equal(kaggle.rows, 300)
  assert.deepEqual(kaggle.label, uci.label)
  assert.deepEqual(kaggle.modes, uci.modes)
  assert.deepEqual(kaggle.readings.torque, uci.readings.torque)
  assert.ok(uci.modes.some((m) => m !== 0), 'the fixture has failures')
})

test('header variants: underscores, units dropped, any case', async (t) => {
  const dir = await tempDir(t)
  const rows = '1,L1,L,298.1,308.6,1551,42.8,7,0\n'
  const variants = [
    'udi,product_id,type,air_temperature_k,process_temperature_k,rotational_speed_rpm,torque_nm,tool_wear_min,machine_failure',
    'UDI,Product ID,Type,Air temperature,Process temperature,Rotational speed,Torque,Tool wear,Target',
    'UDI,PRODUCT ID,TYPE,AIR TEMPERATURE (K),PROCESS TEMPERATURE (K),ROTATIONAL SPEED (RPM),TORQUE (NM),TOOL WEAR (MIN),MACHINE FAILURE',
    'Air_Temperature,Process_Temperature,Rotational_Speed,Torque,Tool_Wear,Machine_Failure,UDI,Product_ID,Type'
  ]
  for (const [i, header] of variants.entries()) {
    const body = i === 3 ? '298.1,308.6,1551,42.8,7,0,1,L1,L\n' : rows
    const ds = await loadDataset(await writeText(dir, `v${i}.csv`, `${header}\n${body}`))
    assert.ok(close(ds.readings.airTemperature[0], 298.1 - 273.15), header)
    assert.ok(close(ds.readings.temperature[0], 308.6 - 273.15), header)
    assert.equal(ds.readings.rpm[0], 1551, header)
    assert.equal(ds.readings.toolWear[0], 7, header)
    assert.deepEqual([...(ds.label as Uint8Array)], [0], header)
  }
})

test('telemetry exported as CSV: °C kept, machines and timestamps kept, humidity read', async (t) => {
  const dir = await tempDir(t)
  const path = await writeText(dir, 'telemetry.csv', 'machineId,ts,seq,temperature,airTemperature,rpm,torque,toolWear,humidity,productType\n' +
    'press-01,1700000000000,0,35.5,25.1,1500,40,10,44.5,L\n' +
    'press-02,1700000000500,0,36.5,25.3,1600,41,20,45.5,M\n' +
    'press-01,1700000001000,1,35.6,25.1,1501,40.5,10,44.6,L\n')
  const ds = await loadDataset(path)
  assert.equal(ds.rows, 3)
  assert.deepEqual(ds.machines, ['press-01', 'press-02'])
  assert.deepEqual([...ds.machine], [0, 1, 0])
  assert.deepEqual([...ds.ts], [1700000000000, 1700000000500, 1700000001000])
  assert.equal(ds.readings.temperature[1], 36.5)
  assert.equal(ds.readings.humidity[2], 44.6)
  assert.equal(ds.syntheticHumidity, false)
  assert.equal(ds.label, null)
})

test('telemetry exported as NDJSON, validated like live messages', async (t) => {
  const dir = await tempDir(t)
  const msg = (machineId: string, seq: number, torque: number): string => JSON.stringify({ machineId, ts: 1700000000000 + seq * 1000, seq, temperature: 35.5, airTemperature: 25, rpm: 1500, torque, toolWear: seq, humidity: 50 })
  const text = [msg('m1', 0, 40), msg('m2', 0, 41), '', msg('m1', 1, 42)].join('\n') + '\n'
  const ds = await loadDataset(await writeText(dir, 'export.ndjson', text))
  assert.equal(ds.rows, 3)
  assert.deepEqual([...ds.readings.torque], [40, 41, 42])
  assert.deepEqual(ds.machines, ['m1', 'm2'])

  const bad = text + '{"machineId":"m1","ts":1,"seq":2,"temperature":"hot"}\n'
  const path = await writeText(dir, 'bad.ndjson', bad)
  await assert.rejects(loadDataset(path), /bad\.ndjson line 5: missing_field: missing field \w+ \(use --skip-bad-rows/)
  const skipped = await loadDataset(path, { skipBadRows: true })
  assert.equal(skipped.rows, 3)
  assert.equal(skipped.skipped.count, 1)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { type Telemetry } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { PointWriter } from '../../src/influx/point-writer.js'
import { startDetector } from '../../src/index.js'
import { normalReading, payload } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { exportSeries, startVictoriaMetrics } from '@factory-edge/test-support/victoria-metrics'
import { eventually } from '@factory-edge/test-support/wait'
import { brokerAndModel, quietLogger } from '../helpers/services.js'

const influx = (url: string, spoolDir: string): { url: string, org: string, bucket: string, spoolDir: string, flushIntervalMs: number, batchSize: number, minRetryDelayMs: number, maxRetryDelayMs: number, timeoutMs: number } =>
  ({ url, org: 'factory', bucket: 'factory', spoolDir, flushIntervalMs: 50, batchSize: 100, minRetryDelayMs: 100, maxRetryDelayMs: 400, timeoutMs: 2000 })

async function countPoints (vmUrl: string, metric: string): Promise<number> {
  const series = await exportSeries(vmUrl, metric)
  return series.reduce((n, s) => n + s.values.length, 0)
}

test('the detector writes telemetry, scores and events to a real InfluxDB-compatible server', async (t) => {
  const vm = await startVictoriaMetrics()
  t.after(async () => { await vm.stop(); await vm.cleanup() })
  const { broker, dir, modelPath, model } = await brokerAndModel(t)
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, logger: quietLogger(), influx: influx(vm.url, join(dir, 'spool')) })
  let closed = false
  t.after(async () => { if (!closed) await detector.close() })

  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'influx-publisher' })
  t.after(() => publisher.endAsync())
  const random = new Random(8)
  const sent: Telemetry[] = []
  const now = Date.now() - 60_000
  for (let i = 0; i < 40; i++) {
    const id = i % 2 === 0 ? 'press-a' : 'press-b'
    const r = normalReading(id, i >> 1, now + i * 100, random)
    sent.push(r)
    await publisher.publishAsync(`factory/${id}/telemetry`, payload(r), { qos: 1 })
  }
  await eventually(() => detector.stats().scored === 40, 15_000, '40 readings scored')
  await detector.close()
  closed = true
  assert.equal(detector.stats().influx?.written, 40 * 2 + 1, 'telemetry and score per reading, plus the stats point')

  const expectedCounts = { telemetry_rpm: 40, anomaly_score_score: 40, anomaly_score_threshold: 40, anomaly_score_tempDelta: 40, detector_stats_messages_in: 1 }
  let counts: Record<string, number> = {}
  await eventually(async () => {
    counts = Object.fromEntries(await Promise.all(Object.keys(expectedCounts).map(async (m) => [m, await countPoints(vm.url, m)])))
    return JSON.stringify(counts) === JSON.stringify(expectedCounts)
  }, 20_000, 'every point in VictoriaMetrics').catch(() => {})
  assert.deepEqual(counts, expectedCounts, 'telemetry, scores with one field per model feature, and the stats point')
  const rpm = await exportSeries(vm.url, 'telemetry_rpm{machine="press-a"}')
  assert.equal(rpm.length, 1)
  assert.equal(rpm[0].metric.model_version, model.version)
  const expected = sent.filter((r) => r.machineId === 'press-a')
  assert.deepEqual(rpm[0].timestamps, expected.map((r) => r.ts))
  assert.deepEqual(rpm[0].values.map((v) => v.toFixed(6)), expected.map((r) => r.rpm.toFixed(6)))
})

test('InfluxDB down, then back: points are spooled to disk and replayed, nothing lost', async (t) => {
  const vm = await startVictoriaMetrics()
  t.after(async () => { await vm.stop(); await vm.cleanup() })
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  await vm.stop()
  const writer = await PointWriter.open(influx(vm.url, join(dir, 'spool')), quietLogger())
  let closed = false
  t.after(async () => { if (!closed) await writer.close(500) })
  const base = Date.now() - 120_000
  const line = (i: number): string => `telemetry,machine=outage rpm=${i} ${base + i}`
  for (let i = 0; i < 250; i++) writer.write(line(i))
  await eventually(() => writer.stats().state === 'failing' && writer.stats().spooled === 250, 15_000, 'all points spooled while down')
  for (let i = 250; i < 400; i++) writer.write(line(i))
  await writer.flush()
  assert.equal(writer.stats().spooled, 400, 'new points queue behind the spooled ones, on disk')
  assert.ok(writer.stats().failures >= 1)

  await vm.restart()
  await eventually(() => writer.stats().state === 'ok' && writer.stats().spooled === 0, 20_000, 'the spool to be replayed')
  for (let i = 400; i < 450; i++) writer.write(line(i))
  await writer.close()
  closed = true
  assert.equal(writer.stats().written, 450)
  assert.equal(writer.stats().droppedSpoolFull, 0)
  await eventually(async () => await countPoints(vm.url, 'telemetry_rpm') === 450, 20_000, 'all 450 points in VictoriaMetrics')
  const [series] = await exportSeries(vm.url, 'telemetry_rpm')
  assert.deepEqual([...series.values].sort((a, b) => a - b), Array.from({ length: 450 }, (_, i) => i), 'every point, once')
})

test('close() while InfluxDB is down leaves the points on disk for the next start', async (t) => {
  const vm = await startVictoriaMetrics()
  t.after(async () => { await vm.stop(); await vm.cleanup() })
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  await vm.stop()
  const spoolDir = join(dir, 'spool')
  const base = Date.now() - 120_000
  const first = await PointWriter.open(influx(vm.url, spoolDir), quietLogger())
  for (let i = 0; i < 30; i++) first.write(`telemetry,machine=restart rpm=${i} ${base + i}`)
  await first.close(1000)
  assert.equal(first.stats().spooled, 30)

  await vm.restart()
  const second = await PointWriter.open(influx(vm.url, spoolDir), quietLogger())
  t.after(() => second.close(500))
  await eventually(() => second.stats().spooled === 0 && second.stats().written === 30, 20_000, 'the next start to replay the spool')
  await eventually(async () => await countPoints(vm.url, 'telemetry_rpm') === 30, 20_000, '30 points in VictoriaMetrics')
})

test('with the journal, committed points of a process that never flushed are replayed by the next start, in order', async (t) => {
  const vm = await startVictoriaMetrics()
  t.after(async () => { await vm.stop(); await vm.cleanup() })
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const spoolDir = join(dir, 'spool')
  const base = Date.now() - 120_000
  // A long flush interval keeps the points in memory, as at the moment of a SIGKILL.
  const killed = await PointWriter.open({ ...influx(vm.url, spoolDir), flushIntervalMs: 600_000, batchSize: 10_000, journal: true }, quietLogger())
  for (let i = 0; i < 30; i++) {
    killed.write(`telemetry,machine=journal rpm=${i} ${base + i}`)
    if (i % 3 === 2) killed.commit()
  }
  assert.equal(killed.stats().written, 0)

  const next = await PointWriter.open({ ...influx(vm.url, spoolDir), journal: true }, quietLogger())
  t.after(() => next.close(500))
  await eventually(() => next.stats().written === 30 && next.stats().spooled === 0, 20_000, 'the journalled points replayed')
  const series = await exportSeries(vm.url, 'telemetry_rpm{machine="journal"}')
  assert.deepEqual(series[0]?.values, Array.from({ length: 30 }, (_, i) => i), 'every committed point, once, in order')
  await next.flush()
  // The abandoned writer would send its batch again; closing it here only releases its timer.
  await killed.close(100)
})

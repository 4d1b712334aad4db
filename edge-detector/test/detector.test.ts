import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import mqtt from 'mqtt'
import { type AnomalyEvent, type MachineState, type RejectedMessage } from '@factory-edge/shared/contract'
import { Random, saveModel } from '@factory-edge/shared/ml'
import { startDetector } from '../src/index.js'
import { anomalousReading, normalReading, payload, trainTestModel } from '@factory-edge/test-support/readings'
import { eventually } from '@factory-edge/test-support/wait'
import { brokerAndModel, quietLogger } from './helpers/services.js'

test('detector service: events, retained state, rejects, health and metrics over a real broker', async (t) => {
  const { broker, modelPath, model } = await brokerAndModel(t)
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, httpPort: 0, logger: quietLogger(), alert: { k: 3, m: 5, cooldownMs: 0 } })
  t.after(() => detector.close())
  assert.equal(detector.model?.version, model.version)

  const watcher = await mqtt.connectAsync(broker.url, { clientId: 'test-watcher' })
  t.after(() => watcher.endAsync())
  const events: AnomalyEvent[] = []
  const rejects: RejectedMessage[] = []
  const states = new Map<string, MachineState>()
  watcher.on('message', (topic, body) => {
    if (topic.endsWith('/anomalies')) events.push(JSON.parse(body.toString()))
    if (topic.endsWith('/rejected')) rejects.push(JSON.parse(body.toString()))
    if (topic.endsWith('/state')) states.set(topic, JSON.parse(body.toString()))
  })
  await watcher.subscribeAsync(['factory/+/anomalies', 'factory/+/rejected', 'factory/+/state'], { qos: 1 })
  const emitted: AnomalyEvent[] = []
  detector.on('anomaly', (e: AnomalyEvent) => emitted.push(e))

  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'test-publisher' })
  t.after(() => publisher.endAsync())
  const random = new Random(3)
  let seq = 0
  for (; seq < 30; seq++) await publisher.publishAsync('factory/mill-2/telemetry', payload(normalReading('mill-2', seq, 1_000_000 + seq * 1000, random)), { qos: 1 })
  await publisher.publishAsync('factory/mill-2/telemetry', 'not json at all', { qos: 1 })
  for (; seq < 36; seq++) await publisher.publishAsync('factory/mill-2/telemetry', payload(anomalousReading('mill-2', seq, 1_000_000 + seq * 1000)), { qos: 1 })

  await eventually(() => events.length === 1 && rejects.length === 1, 15_000, 'one event and one reject')
  assert.equal(events[0].state, 'raised')
  assert.equal(events[0].machineId, 'mill-2')
  assert.deepEqual(emitted, events, 'the handle emits what is published')
  assert.equal(rejects[0].reason, 'not_json')
  assert.equal(rejects[0].payload, 'not json at all')
  await eventually(() => states.get('factory/mill-2/state')?.state === 'anomalous', 15_000, 'anomalous state')

  const late = await mqtt.connectAsync(broker.url, { clientId: 'test-late-subscriber' })
  t.after(() => late.endAsync())
  const retained = new Promise<MachineState>((resolve) => late.on('message', (_t, body) => resolve(JSON.parse(body.toString()))))
  await late.subscribeAsync('factory/mill-2/state', { qos: 1 })
  assert.equal((await retained).state, 'anomalous', 'the state is retained for late subscribers')

  const stats = detector.stats()
  assert.equal(stats.messagesIn, 37)
  assert.equal(stats.scored, 36)
  assert.equal(stats.rejectedByReason.not_json, 1)
  assert.equal(stats.machines, 1)
  assert.equal(stats.influx, undefined, 'no InfluxDB output without a URL')

  const health = await fetch(`${detector.httpUrl}/healthz`)
  assert.equal(health.status, 200)
  const report = await health.json() as { ok: boolean, broker: { connected: boolean }, model: { version: string }, influx: { state: string } }
  assert.equal(report.ok, true)
  assert.equal(report.model.version, model.version)
  assert.equal(report.influx.state, 'off')
  const metrics = await (await fetch(`${detector.httpUrl}/metrics`)).text()
  assert.match(metrics, /^edge_detector_messages_total 37$/m)
  assert.match(metrics, /^edge_detector_rejected_total\{reason="not_json"\} 1$/m)
  assert.match(metrics, /^edge_detector_anomalies_raised_total 1$/m)
  assert.match(metrics, /^edge_detector_processing_seconds_count 36$/m)
  assert.match(metrics, /^edge_detector_machines 1$/m)
  assert.match(metrics, /^edge_detector_spool_points 0$/m)
  const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(metrics)?.[1])
  assert.ok(rss > 10 * 1048576 && rss < 4096 * 1048576, `resident memory ${rss} bytes`)
  assert.match(metrics, /^nodejs_heap_size_used_bytes \d+$/m)
  assert.equal((await fetch(`${detector.httpUrl}/nope`)).status, 404)
})

test('model file: a new version is swapped in, a corrupt one is refused and the running model stays', async (t) => {
  const { broker, modelPath, model: first } = await brokerAndModel(t)
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, logger: quietLogger() })
  t.after(() => detector.close())
  const swapped: string[] = []
  detector.on('model', (m: { version: string }) => swapped.push(m.version))

  const second = trainTestModel(undefined, { seed: 99 })
  assert.notEqual(second.version, first.version)
  await saveModel(modelPath, second)
  await eventually(() => detector.model?.version === second.version, 15_000, 'the new model')
  assert.deepEqual(swapped, [second.version])

  await writeFile(modelPath, '{"format": "factory-edge/isolation-forest", "formatVersion": 1, "trunc')
  await eventually(() => detector.stats().modelsRefused >= 1, 15_000, 'the corrupt file to be refused')
  assert.equal(detector.model?.version, second.version, 'the running model stays')
  assert.match(String(detector.health().model && (detector.health().model as { lastError?: string }).lastError), /not valid JSON/)

  const third = trainTestModel(undefined, { seed: 5 })
  await saveModel(modelPath, third)
  await eventually(() => detector.model?.version === third.version, 15_000, 'a valid file after the corrupt one')
})

test('startDetector fails clearly when the model file is missing', async () => {
  await assert.rejects(startDetector({ brokerUrl: 'mqtt://127.0.0.1:1', modelPath: '/nonexistent/model.json', logger: quietLogger() }), /model file \/nonexistent\/model.json does not exist/)
})

test('close() finishes when the broker has gone away', async (t) => {
  const { broker, modelPath } = await brokerAndModel(t)
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, logger: quietLogger(), watchModel: false })
  const offline = new Promise<void>((resolve) => detector.once('offline', resolve))
  await broker.close()
  await offline
  assert.equal(detector.health().ok, false, 'unhealthy without a broker')
  await detector.close()
})

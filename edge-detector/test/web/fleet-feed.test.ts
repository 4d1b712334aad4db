import { test } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { Random } from '@factory-edge/shared/ml'
import { anomalousReading, normalReading, payload, trainTestModel } from '@factory-edge/test-support/readings'
import { eventually } from '@factory-edge/test-support/wait'
import { DetectorPipeline, startDetector, type PipelineSink } from '../../src/index.js'
import { AlertLog } from '../../src/web/alert-log.js'
import { FleetFeed, type FrameRow, type SystemView } from '../../src/web/fleet-feed.js'
import { MachineHistory, STATE_CODE } from '../../src/web/machine-history.js'
import { brokerAndModel, quietLogger } from '../helpers/services.js'

const model = trainTestModel()
const sink: PipelineSink = { anomaly: () => {}, rejected: () => {}, line: () => {}, evicted: () => {}, tracked: () => {} }
const system = (): SystemView => ({
  readingsPerS: 0,
  messagesIn: 0,
  scored: 0,
  rejectedByReason: {},
  raised: 0,
  cleared: 0,
  machines: 0,
  broker: { connected: true, url: 'mqtt://x' },
  influx: { state: 'off' },
  model: { version: 'v', threshold: 0.5 }
})

function fleet (machines: number, streamBytesPerS: number): { pipeline: DetectorPipeline, history: MachineHistory, feed: FleetFeed } {
  const history = new MachineHistory(machines, { samples: 60, sampleEveryMs: 1000, silentMs: 15_000 }, 6)
  const pipeline = new DetectorPipeline({ model, sink, observer: history, maxMachines: machines, points: false })
  history.attach(pipeline)
  const feed = new FleetFeed(pipeline, history, new AlertLog(100, machines), system, { streamBytesPerS, tickMs: 1000, sparkSamples: 40 })
  return { pipeline, history, feed }
}

interface Frame { m: FrameRow[], ev: unknown[] }

test('event stream: each frame stays within the byte budget with 1,000 machines, and every machine gets its turn', () => {
  const machines = 1000
  const budget = 8192
  const { pipeline, feed } = fleet(machines, budget)
  const random = new Random(1)
  const ids = Array.from({ length: machines }, (_, i) => `machine-${String(i).padStart(4, '0')}`)
  let seq = 0
  const feedReadings = (n: number): void => {
    for (let k = 0; k < n; k++, seq++) {
      for (const id of ids) pipeline.process(`factory/${id}/telemetry`, payload(normalReading(id, seq, 1_000_000 + seq * 1000, random)))
    }
  }
  feedReadings(12)
  const seen = new Set<string>()
  let frames = 0
  while (seen.size < machines && frames < 20) {
    const text = feed.frame(Date.now())
    assert.ok(Buffer.byteLength(text) <= budget, `frame ${frames} is ${Buffer.byteLength(text)} bytes, over ${budget}`)
    const frame = JSON.parse(text) as Frame
    assert.ok(frame.m.length > 100, `frame ${frames} carries ${frame.m.length} machines`)
    for (const [id] of frame.m) seen.add(id)
    frames++
    feedReadings(1)
  }
  assert.equal(seen.size, machines, 'every machine was streamed')
  assert.ok(frames <= 5, `all machines took ${frames} frames`)

  // A change of state goes first, whatever the turn.
  const id = ids[777]
  for (let k = 0; k < 8; k++, seq++) pipeline.process(`factory/${id}/telemetry`, payload(anomalousReading(id, seq, 1_000_000 + seq * 1000)))
  assert.ok(pipeline.alerts.isRaised(pipeline.machines.slotOf(id)))
  const next = JSON.parse(feed.frame(Date.now())) as Frame
  assert.deepEqual(next.m[0].slice(0, 2), [id, STATE_CODE.anomalous])

  // Machines without new readings are not streamed again: once each has had its turn, frames are empty.
  let drained = 0
  while ((JSON.parse(feed.frame(Date.now())) as Frame).m.length > 0) assert.ok(++drained <= 5, `still streaming after ${drained} frames`)
  assert.deepEqual((JSON.parse(feed.frame(Date.now())) as Frame).m, [])

  // No reading for longer than silentMs: every machine turns silent, within the same budget.
  const later = JSON.parse(feed.frame(Date.now() + 20_000)) as Frame
  assert.ok(later.m.length > 100 && later.m.every(([, code]) => code === STATE_CODE.silent), 'silent machines are streamed first')
})

test('event stream over HTTP: bytes per second stay bounded while 1,000 machines publish', async (t) => {
  const { broker, modelPath } = await brokerAndModel(t)
  const budget = 8192
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, httpPort: 0, ui: { streamBytesPerS: budget }, logger: quietLogger() })
  t.after(() => detector.close())
  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'stream-rate-publisher' })
  t.after(() => publisher.endAsync())
  const random = new Random(2)
  let seq = 0
  const publishing = { on: true }
  const round = async (): Promise<void> => {
    const s = seq++
    for (let m = 0; m < 1000; m++) publisher.publish(`factory/m${m}/telemetry`, payload(normalReading(`m${m}`, s, 1_000_000 + s * 1000, random)), { qos: 0 })
    await eventually(() => detector.stats().scored >= 1000 * (s + 1), 10_000, `round ${s} scored`)
  }
  await round()
  const loop = (async () => { while (publishing.on) await round() })()
  t.after(async () => { publishing.on = false; await loop })

  const controller = new AbortController()
  const res = await fetch(`${detector.httpUrl as string}/ui/events`, { signal: controller.signal })
  assert.equal(res.headers.get('content-type'), 'text/event-stream')
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  let bytes = 0
  let text = ''
  const seconds = 3
  const started = Date.now()
  const deadline = started + seconds * 1000
  while (Date.now() < deadline) {
    const timer = setTimeout(() => { void reader.cancel() }, deadline - Date.now())
    const { value, done } = await reader.read()
    clearTimeout(timer)
    if (done) break
    bytes += value.byteLength
    text += Buffer.from(value).toString('utf8')
  }
  controller.abort()
  publishing.on = false
  await loop
  const elapsed = (Date.now() - started) / 1000
  const frames = text.split('\n\n').filter((f) => f.startsWith('data: '))
  assert.ok(frames.length >= 2, `${frames.length} frames in ${elapsed} s`)
  // One frame per second, each within the budget (plus its "data: " framing).
  for (const f of frames) assert.ok(Buffer.byteLength(f) <= budget + 8, `a frame of ${Buffer.byteLength(f)} bytes`)
  assert.ok(bytes <= budget * (Math.ceil(elapsed) + 1), `${bytes} bytes in ${elapsed} s`)
  const machinesStreamed = new Set(frames.flatMap((f) => (JSON.parse(f.slice(6)) as Frame).m.map(([id]) => id)))
  assert.ok(machinesStreamed.size > 300, `${machinesStreamed.size} machines streamed: the budget is used`)
})

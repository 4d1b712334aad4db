/**
 * Edge detector figures (issue 6):
 * - detector.pipeline_msgs_per_s: one thread, parse → validate → window → features → score → event and
 *   InfluxDB line, on pre-encoded payloads (no MQTT); detector.pipeline_msgs_per_s_web_history: the same
 *   feeding the web view's per-machine history, as the service does by default;
 * - detector.noop_subscriber_msgs_per_s and detector.e2e_msgs_per_s: publisher, broker (factory-broker)
 *   and subscriber in separate processes, QoS 1, same broker, same run: first an mqtt.js subscriber that
 *   only parses JSON and the real edge-detector service, alternately, two rounds each (best reported);
 *   both must receive every message;
 * - detector.e2e_p99_ms: publish-to-event latency at a fixed 5,000 messages/s, with k = m = 1 and
 *   alternating readings so that every reading produces an event;
 * - detector.rss_mb_10k_machines: resident memory of the detector process once 10,000 machines have each
 *   published 60 readings through the broker (full 60-reading windows), started with the node flags of
 *   its command; detector.rss_mb_10k_machines_node_defaults: the same on plain `node`;
 *   detector.rss_mb_10k_machines_no_ui: as its command, with --no-ui (what the web view's history costs).
 * DETECTOR_BENCH_PARTS=pipeline,e2e,latency,memory runs only some of them (for development).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createMachineHistory, DETECTOR_DEFAULTS, DetectorPipeline, type PipelineSink } from '@factory-edge/edge-detector'
import { SENSOR_FIELDS } from '@factory-edge/shared/contract'
import { rssMbOf, type BenchContext } from './harness.js'
import { benchReadings, trainBenchModel, writeBenchModel } from './detector/fixtures.js'
import {
  counter, DETECTOR_NODE_FLAGS, detectorThroughput, publisherArgs, runJson, startBrokerProcess, startDetectorProcess, stop, waitFor, wipeSession,
  type PublisherResult
} from './detector/processes.js'

const here = dirname(fileURLToPath(import.meta.url))

function benchPipeline (ctx: BenchContext): void {
  const model = trainBenchModel()
  const perMachine = ctx.quick ? 200 : 1000
  const readings = benchReadings(100, perMachine, Date.now() - 86_400_000)
  const topics = readings.map((r) => `factory/${r.machineId}/telemetry`)
  const payloads = readings.map((r) => Buffer.from(JSON.stringify(r)))
  let lines: string[] = []
  let events = 0
  const sink: PipelineSink = {
    anomaly: (e) => { events += e.features.length > 0 ? 1 : 0 },
    rejected: () => {},
    line: (l) => { lines.push(l); if (lines.length >= 5000) lines = [] },
    evicted: () => {},
    tracked: () => {}
  }
  // Three passes, each on a fresh pipeline (empty windows, compiled code after the first); the best one
  // is reported, because other processes on this shared machine only ever make a pass slower. Passes
  // with the web view's history (as the service runs by default) alternate with passes without.
  let best = 0
  let bestWithHistory = 0
  for (let pass = 0; pass < 6; pass++) {
    const withHistory = pass % 2 === 1
    const history = withHistory ? createMachineHistory(DETECTOR_DEFAULTS.maxMachines, SENSOR_FIELDS.length) : undefined
    const pipeline = new DetectorPipeline({ model, sink, points: true, observer: history })
    history?.attach(pipeline)
    const start = process.hrtime.bigint()
    for (let i = 0; i < payloads.length; i++) pipeline.process(topics[i], payloads[i])
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    if (pipeline.stats.scored !== payloads.length) throw new Error(`scored ${pipeline.stats.scored} of ${payloads.length}`)
    if (withHistory) bestWithHistory = Math.max(bestWithHistory, payloads.length / seconds)
    else best = Math.max(best, payloads.length / seconds)
  }
  ctx.report('detector.pipeline_msgs_per_s', best, 'msg/s')
  ctx.report('detector.pipeline_msgs_per_s_web_history', bestWithHistory, 'msg/s')
  if (events === 0) process.stderr.write('note: no anomaly events in the pipeline benchmark\n')
}

async function benchEndToEnd (ctx: BenchContext, dir: string, modelPath: string, parts: string[]): Promise<void> {
  const broker = await startBrokerProcess()
  let detector: { child: ChildProcess, http: string } | undefined
  const machines = 100
  const perMachine = ctx.quick ? 100 : 300
  const total = machines * perMachine
  try {
    if (parts.includes('e2e')) await throughput()
    if (parts.includes('latency')) await latency()
  } finally {
    await stop(detector?.child)
    await stop(broker.child)
  }

  async function throughput (): Promise<void> {
    // Two alternating rounds of each, best of each reported: on this shared 2-core machine, other work
    // only ever slows a round down, and alternating spreads it over both.
    const publish = async (): Promise<PublisherResult> => await runJson<PublisherResult>(publisherArgs(broker.port, { machines, perMachine, rate: 0, observe: false, flipEvery: 0 }))
    let bestNoop = 0
    let bestDetector = 0
    let lost = 0
    for (let round = 0; round < 2; round++) {
      // The baseline: a subscriber that only parses JSON.
      const noop = spawn(process.execPath, [join(here, 'detector/noop-subscriber.js'), `mqtt://127.0.0.1:${broker.port}`, String(total)], { stdio: ['ignore', 'pipe', 'inherit'] })
      let noopOut = ''
      noop.stdout.on('data', (d) => { noopOut += String(d) })
      await waitFor(async () => noopOut.includes('ready'), 20_000, 'the no-op subscriber')
      const noopExit = new Promise<void>((resolve) => noop.on('exit', () => resolve()))
      const pub1 = await publish()
      await Promise.race([noopExit, new Promise((resolve) => setTimeout(resolve, 60_000))])
      await stop(noop)
      await wipeSession(broker.port, 'bench-noop-subscriber')
      const noopResult = JSON.parse(noopOut.trim().split('\n').at(-1) ?? '{}') as { count: number, lastAt: number }
      if (noopResult.count !== total) throw new Error(`the no-op subscriber received ${noopResult.count ?? 0} of ${total}`)
      bestNoop = Math.max(bestNoop, total / ((noopResult.lastAt - pub1.startedAt) / 1000))

      // The detector, a fresh process like the subscriber.
      const detectorRound = await detectorThroughput(broker.port, modelPath, dir, total, publish)
      lost += detectorRound.lost
      bestDetector = Math.max(bestDetector, detectorRound.msgsPerS)
    }
    ctx.report('detector.noop_subscriber_msgs_per_s', bestNoop, 'msg/s')
    ctx.report('detector.e2e_msgs_per_s', bestDetector, 'msg/s')
    ctx.report('detector.e2e_lost_messages', lost, 'msg')
  }

  async function latency (): Promise<void> {
    // Latency at a fixed 5,000 readings/s; with k = m = 1, one reading in ten changes its machine's state
    // (500 events/s, each also a retained state message), and each event is timed from its reading's publish.
    detector = await startDetectorProcess(broker.port, modelPath, dir, ['--client-id', 'bench-latency-detector', '--alert-k', '1', '--alert-m', '1', '--alert-hysteresis', '0', '--alert-cooldown-ms', '0'])
    const seconds = ctx.quick ? 2 : 5
    const pub3 = await runJson<PublisherResult>(publisherArgs(broker.port, { machines: 50, perMachine: 100 * seconds, rate: 5000, observe: true, flipEvery: 10 }))
    if (pub3.events < pub3.published / 20) throw new Error(`only ${pub3.events} events for ${pub3.published} readings`)
    ctx.report('detector.e2e_p99_ms', pub3.p99, 'ms')
    ctx.report('detector.e2e_p50_ms', pub3.p50, 'ms')
    ctx.report('detector.e2e_latency_events', pub3.events, 'events')
  }
}

async function benchMemory (ctx: BenchContext, dir: string): Promise<void> {
  const modelPath = join(dir, 'model-60.json')
  await writeBenchModel(modelPath, { window: 60, features: ['tempDelta', 'power', 'strain', 'toolWear', 'rpm.z', 'torque.mean'] })
  const broker = await startBrokerProcess()
  const machines = ctx.quick ? 1000 : 10_000
  const name = ctx.quick ? 'detector.rss_mb_1k_machines' : 'detector.rss_mb_10k_machines'
  try {
    // The service as its command starts it (the node flags of its bin's #! line), then on plain node,
    // then without the web view (whose per-machine history is on by default).
    const variants = [['', DETECTOR_NODE_FLAGS, []], ['_node_defaults', [], []], ['_no_ui', DETECTOR_NODE_FLAGS, ['--no-ui']]] as const
    for (const [suffix, flags, extra] of variants) {
      const detector = await startDetectorProcess(broker.port, modelPath, dir, ['--max-machines', String(machines), ...extra], flags)
      try {
        await runJson<PublisherResult>(publisherArgs(broker.port, { machines, perMachine: 60, rate: 0, observe: false, flipEvery: 0 }), 300_000)
        await waitFor(async () => await counter(detector.http, 'edge_detector_scored_total') >= machines * 60, 120_000, 'the detector to score every reading')
        const tracked = await counter(detector.http, 'edge_detector_machines')
        if (tracked !== machines) throw new Error(`the detector tracks ${tracked} machines, not ${machines}`)
        // Measured as a plant would see it, a moment after the stream: no forced garbage collection.
        await new Promise((resolve) => setTimeout(resolve, 2000))
        ctx.report(name + suffix, rssMbOf(detector.child.pid), 'MB')
      } finally {
        await stop(detector.child)
        await wipeSession(broker.port, 'factory-edge-detector')
      }
    }
  } finally {
    await stop(broker.child)
  }
}

export default async function (ctx: BenchContext): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'detector-bench-'))
  const parts = (process.env.DETECTOR_BENCH_PARTS ?? 'pipeline,e2e,latency,memory').split(',')
  try {
    if (parts.includes('pipeline')) benchPipeline(ctx)
    const modelPath = join(dir, 'model.json')
    await writeBenchModel(modelPath)
    if (parts.includes('e2e') || parts.includes('latency')) await benchEndToEnd(ctx, dir, modelPath, parts)
    if (parts.includes('memory')) await benchMemory(ctx, dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

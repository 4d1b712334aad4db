import { spawn, type ChildProcess } from 'node:child_process'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import { Random, type Telemetry } from '@factory-edge/shared'
import { anomalousReading, normalReading } from '../helpers/readings.js'
import { eventually, exportSeries, freePort, startMosquitto, startServerProcess, tempDir, type ExternalServer } from '../helpers/services.js'

/**
 * Shared parts of the reliability suite: durable brokers in their own processes, the detector as a
 * child process, a QoS 1 publisher with a persistent session, an anomaly recorder, and the account
 * read back from the detector's /metrics and from VictoriaMetrics.
 */

const REPO = fileURLToPath(new URL('../../../../', import.meta.url))
export const BROKER_BIN = join(REPO, 'broker/dist/src/bin/factory-broker.js')
export const DETECTOR_BIN = join(REPO, 'edge-detector/dist/src/bin/edge-detector.js')

export type BrokerKind = 'aedes' | 'mosquitto'
export const BROKERS: readonly BrokerKind[] = ['aedes', 'mosquitto']

/**
 * A broker in its own process, by default with durable sessions (aedes: LevelDB store; mosquitto:
 * persistence file); `durable: false` keeps them in memory.
 */
export async function startBroker (kind: BrokerKind, options: { maxPacketSize?: number, durable?: boolean } = {}): Promise<ExternalServer> {
  const maxPacketSize = options.maxPacketSize ?? 262_144
  const durable = options.durable ?? true
  if (kind === 'mosquitto') return await startMosquitto({ persistent: durable, lines: [`max_packet_size ${maxPacketSize}`, 'max_inflight_messages 100'] })
  const dir = await tempDir('aedes-')
  const port = await freePort()
  const args = [BROKER_BIN, '--port', String(port), '--ws=false', '--http-port', '-1', '--persistence', durable ? 'level' : 'memory', '--persistence-dir', join(dir.dir, 'store'),
    '--allow-anonymous', '--max-packet-size', String(maxPacketSize), '--log-level', 'warn']
  return await startServerProcess('factory-broker', process.execPath, args, port, `mqtt://127.0.0.1:${port}`, dir)
}

/** The detector's counters, as served on /metrics. */
export interface Counters {
  messages: number
  scored: number
  rejected: Record<string, number>
  rejectedTotal: number
  duplicates: number
  late: number
  machines: number
  evicted: number
  modelRefused: number
  spoolPoints: number
  influxWritten: number
}

/** Parses the detector's Prometheus text into the counters the account needs. */
export function parseCounters (text: string): Counters {
  const value = (name: string): number => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
    return m === null ? 0 : Number(m[1])
  }
  const rejected: Record<string, number> = {}
  for (const m of text.matchAll(/^edge_detector_rejected_total\{reason="([a-z_]+)"\} (\S+)$/gm)) {
    if (Number(m[2]) > 0) rejected[m[1]] = Number(m[2])
  }
  return {
    messages: value('edge_detector_messages_total'),
    scored: value('edge_detector_scored_total'),
    rejected,
    rejectedTotal: Object.values(rejected).reduce((a, b) => a + b, 0),
    duplicates: value('edge_detector_duplicates_total'),
    late: value('edge_detector_late_total'),
    machines: value('edge_detector_machines'),
    evicted: value('edge_detector_machines_evicted_total'),
    modelRefused: value('edge_detector_model_refused_total'),
    spoolPoints: value('edge_detector_spool_points'),
    influxWritten: value('edge_detector_influx_written_total')
  }
}

export interface DetectorProcess {
  httpUrl: string
  counters: () => Promise<Counters>
  output: () => string
  /** SIGKILL. */
  kill: () => Promise<void>
  /** SIGTERM (clean shutdown: flush, spool what cannot be written). */
  stop: () => Promise<void>
  /** Starts it again with the same arguments (same client id, spool and HTTP port). */
  restart: () => Promise<void>
}

/** `edge-detector run` as a child process; resolves once it is connected and subscribed. */
export async function startDetectorProcess (options: { brokerUrl: string, modelPath: string, influxUrl?: string, spoolDir: string, clientId: string, args?: string[] }): Promise<DetectorProcess> {
  const httpPort = await freePort()
  const args = [DETECTOR_BIN, 'run', '--broker-url', options.brokerUrl, '--model', options.modelPath, '--client-id', options.clientId,
    '--spool-dir', options.spoolDir, '--http-port', String(httpPort), '--log-format', 'json', '--log-level', 'info',
    '--influx-flush-ms', '200', '--influx-max-retry-delay-ms', '1000', '--influx-timeout-ms', '2000',
    ...(options.influxUrl !== undefined ? ['--influx-url', options.influxUrl] : []), ...options.args ?? []]
  let child: ChildProcess
  let log = ''
  const httpUrl = `http://127.0.0.1:${httpPort}`
  const start = async (): Promise<void> => {
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout?.on('data', (d: Buffer) => { log += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { log += d.toString() })
    const from = log.length
    await eventually(() => {
      if (child.exitCode !== null) throw new Error(`edge-detector exited with ${child.exitCode}:\n${log}`)
      return log.indexOf('connected and subscribed', from) !== -1
    }, 30_000, 'edge-detector connected and subscribed')
  }
  const exit = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
  await start()
  return {
    httpUrl,
    counters: async () => parseCounters(await (await fetch(`${httpUrl}/metrics`)).text()),
    output: () => log,
    kill: async () => await exit('SIGKILL'),
    stop: async () => await exit('SIGTERM'),
    restart: start
  }
}

/** Machine ids m0 … m(n-1) with a prefix. */
export function machineIds (prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`)
}

/**
 * The readings of one run, in publishing order: every machine in turn, one second apart in reading
 * time, ending a minute ago (so the time-series DB keeps them). Every machine has one anomalous stretch
 * (readings 40–51), which raises an alert and, once normal again, clears it.
 */
export function readingPlan (machines: readonly string[], perMachine: number, seed = 1): Telemetry[] {
  const random = new Random(seed)
  const start = Date.now() - 60_000 - perMachine * 1000
  const out: Telemetry[] = []
  for (let i = 0; i < perMachine; i++) {
    for (const id of machines) {
      const ts = start + i * 1000
      out.push(i >= 40 && i < 52 ? anomalousReading(id, i, ts) : normalReading(id, i, ts, random))
    }
  }
  return out
}

export interface Publisher {
  client: MqttClient
  /** Readings handed to the client (each once, however often the client has to resend it). */
  readonly published: number
  /** Readings the broker acknowledged. */
  readonly acked: number
  /** Publishes that failed for good (a persistent session should never have any). */
  readonly failed: number
  /** Resolves when every reading is acknowledged. */
  done: Promise<void>
}

/**
 * Publishes messages in order with QoS 1 from a persistent session (clean: false), keeping at most
 * `window` unacknowledged; mqtt.js resends the unacknowledged ones after a reconnection.
 */
export function publishMessages (url: string, messages: Iterable<{ topic: string, payload: string | Buffer }>, options: { clientId: string, window?: number }): Publisher {
  const client = mqtt.connect(url, { clientId: options.clientId, clean: false, reconnectPeriod: 250, connectTimeout: 5000 })
  client.on('error', () => {})
  const window = options.window ?? 200
  const state = { published: 0, acked: 0, failed: 0 }
  const done = (async () => {
    let wake: (() => void) | undefined
    for (const m of messages) {
      while (state.published - state.acked - state.failed >= window) await new Promise<void>((resolve) => { wake = resolve })
      state.published++
      client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
        if (err !== undefined && err !== null) state.failed++
        else state.acked++
        wake?.()
      })
    }
    while (state.acked + state.failed < state.published) await new Promise<void>((resolve) => { wake = resolve })
  })()
  return {
    client,
    get published () { return state.published },
    get acked () { return state.acked },
    get failed () { return state.failed },
    done
  }
}

/** The topic and JSON payload of a reading. */
export function telemetryMessage (r: Telemetry): { topic: string, payload: string } {
  return { topic: `factory/${r.machineId}/telemetry`, payload: JSON.stringify(r) }
}

/** Publishes readings in order (see publishMessages). */
export function publishReadings (url: string, readings: readonly Telemetry[], options: { clientId: string, window?: number }): Publisher {
  return publishMessages(url, readings.map(telemetryMessage), options)
}

/** Keys `machine|ts|state` of the anomaly events seen on `<prefix>/+/anomalies`, from a persistent QoS 1 session. */
export async function recordAnomalies (url: string, clientId: string): Promise<{ events: Set<string>, close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(url, { clientId, clean: false, reconnectPeriod: 250 })
  client.on('error', () => {})
  const events = new Set<string>()
  client.on('message', (_topic, payload) => {
    const e = JSON.parse(payload.toString()) as { machineId: string, ts: number, state: string }
    events.add(`${e.machineId}|${e.ts}|${e.state}`)
  })
  await client.subscribeAsync('factory/+/anomalies', { qos: 1 })
  return { events, close: async () => { await client.endAsync(true) } }
}

/** What VictoriaMetrics holds: per machine, the distinct reading timestamps; and the anomaly events. */
export interface DbAccount {
  readings: Map<string, Set<number>>
  readingCount: number
  events: Set<string>
}

/** Reads back what the detector wrote. */
export async function dbAccount (vmUrl: string): Promise<DbAccount> {
  const readings = new Map<string, Set<number>>()
  for (const series of await exportSeries(vmUrl, '{__name__="telemetry_rpm"}')) {
    const id = series.metric.machine
    const set = readings.get(id) ?? new Set<number>()
    for (const ts of series.timestamps) set.add(ts)
    readings.set(id, set)
  }
  const events = new Set<string>()
  for (const series of await exportSeries(vmUrl, '{__name__="anomaly_event_score"}')) {
    for (const ts of series.timestamps) events.add(`${series.metric.machine}|${ts}|${series.metric.state}`)
  }
  let readingCount = 0
  for (const set of readings.values()) readingCount += set.size
  return { readings, readingCount, events }
}

/** Polls the DB until it holds `readings` readings (or the timeout passes), then returns what it holds. */
export async function waitForDb (vmUrl: string, readings: number, timeoutMs = 60_000): Promise<DbAccount> {
  let last: DbAccount | undefined
  try {
    await eventually(async () => {
      last = await dbAccount(vmUrl)
      return last.readingCount >= readings
    }, timeoutMs, `${readings} readings in VictoriaMetrics`)
  } catch {}
  return last ?? await dbAccount(vmUrl)
}

/** Waits until the detector's counters stop moving and cover at least `messages` messages. */
export async function settledCounters (read: () => Promise<Counters>, messages: number, timeoutMs = 60_000): Promise<Counters> {
  let last = await read()
  let stableSince = Date.now()
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    const now = await read()
    if (now.messages !== last.messages || now.spoolPoints !== last.spoolPoints) stableSince = Date.now()
    last = now
    if (now.messages >= messages && now.spoolPoints === 0 && Date.now() - stableSince > 750) return now
  }
  return last
}

/** Every reading of `plan` is in the DB, and every anomaly event seen on MQTT is too. Returns missing counts for the message. */
export function missingFromDb (plan: readonly Telemetry[], db: DbAccount, events: Set<string>): { readings: number, events: string[] } {
  let readings = 0
  for (const r of plan) if (db.readings.get(r.machineId)?.has(r.ts) !== true) readings++
  return { readings, events: [...events].filter((e) => !db.events.has(e)) }
}

/** A one-line account, for test names and failure messages. */
export function formatAccount (published: number, c: Counters): string {
  return `published ${published} = scored ${c.scored} + rejected ${c.rejectedTotal} ${JSON.stringify(c.rejected)}; duplicates dropped ${c.duplicates}; late ${c.late}`
}

/**
 * The exact account of a run in which every reading was delivered at least once: each reading is
 * scored, rejected, or (first delivered out of order) late; every further delivery is a duplicate or a
 * late copy. A reading is scored at most once (its sequence number is then behind the machine's), so
 * published - scored - rejected readings were late on first delivery, and the rest of `late` are copies.
 */
export function assertAccount (published: number, c: Counters, rejected = 0): { lateFirst: number, redelivered: number } {
  const account = formatAccount(published, c)
  assert.equal(c.rejectedTotal, rejected, account)
  assert.equal(c.messages, c.scored + c.rejectedTotal + c.duplicates + c.late, `every message counted once: ${account}`)
  const lateFirst = published - c.scored - c.rejectedTotal
  assert.ok(lateFirst >= 0 && lateFirst <= c.late, `readings neither scored, rejected nor late: ${account}`)
  return { lateFirst, redelivered: c.messages - published }
}

import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import { Random, type Telemetry } from '@factory-edge/shared'
import { anomalousReading, normalReading, writeTestModel } from '../helpers/readings.js'
import { eventually, exportSeries, freePort, startMosquitto, startServerProcess, startVictoriaMetrics, tempDir, type ExternalServer } from '../helpers/services.js'

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

export interface BrokerOptions {
  maxPacketSize?: number
  durable?: boolean
  /** Anonymous access off; users from the password file, rights from the ACL file. */
  auth?: { passwordFile: string, aclFile: string }
  /** aedes only: serve /metrics on this port. */
  httpPort?: number
}

/** Users of the reliability suite, with `<user>-secret` passwords, for config/acl. */
export const USERS = ['detector', 'simulator', 'dashboard', 'machine-1', 'machine-2'] as const
export const passwordOf = (user: string): string => `${user}-secret`

/** A password file (mosquitto_passwd hashes, which both brokers read) and the repository's config/acl. */
export async function writeAuthFiles (dir: string): Promise<{ passwordFile: string, aclFile: string }> {
  const passwordFile = join(dir, 'passwords')
  for (const [i, user] of USERS.entries()) {
    execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwordFile, user, passwordOf(user)], { stdio: 'ignore' })
  }
  return { passwordFile, aclFile: join(REPO, 'config/acl') }
}

/**
 * A broker in its own process, by default with durable sessions (aedes: LevelDB store; mosquitto:
 * persistence file); `durable: false` keeps them in memory.
 */
export async function startBroker (kind: BrokerKind, options: BrokerOptions = {}): Promise<ExternalServer> {
  const maxPacketSize = options.maxPacketSize ?? 262_144
  const durable = options.durable ?? true
  if (kind === 'mosquitto') return await startMosquitto({ persistent: durable, auth: options.auth, lines: [`max_packet_size ${maxPacketSize}`, 'max_inflight_messages 100'] })
  const access = options.auth === undefined ? ['--allow-anonymous'] : ['--allow-anonymous=false', '--password-file', options.auth.passwordFile, '--acl-file', options.auth.aclFile]
  const dir = await tempDir('aedes-')
  const port = await freePort()
  const args = [BROKER_BIN, '--port', String(port), '--ws=false', '--http-port', '-1', '--persistence', durable ? 'level' : 'memory', '--persistence-dir', join(dir.dir, 'store'),
    ...access, '--max-packet-size', String(maxPacketSize), '--log-level', 'warn', ...options.httpPort !== undefined ? ['--http-port', String(options.httpPort)] : []]
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
  pid: () => number | undefined
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
    pid: () => child.pid,
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

export interface PublishOptions {
  clientId: string
  /** Most messages unacknowledged at once (default 200). */
  window?: number
  /** Messages per second (default: as fast as the window allows). */
  ratePerSec?: number
  username?: string
  password?: string
}

/**
 * Publishes messages in order with QoS 1 from a persistent session (clean: false), keeping at most
 * `window` unacknowledged; mqtt.js resends the unacknowledged ones after a reconnection.
 */
export function publishMessages (url: string, messages: Iterable<{ topic: string, payload: string | Buffer }>, options: PublishOptions): Publisher {
  const client = mqtt.connect(url, { clientId: options.clientId, clean: false, reconnectPeriod: 250, connectTimeout: 5000, username: options.username, password: options.password })
  client.on('error', () => {})
  const window = options.window ?? 200
  const started = Date.now()
  const state = { published: 0, acked: 0, failed: 0 }
  const done = (async () => {
    let wake: (() => void) | undefined
    for (const m of messages) {
      while (state.published - state.acked - state.failed >= window) await new Promise<void>((resolve) => { wake = resolve })
      if (options.ratePerSec !== undefined) {
        const due = started + state.published * 1000 / options.ratePerSec
        if (due > Date.now() + 5) await new Promise((resolve) => setTimeout(resolve, due - Date.now()))
      }
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
export function publishReadings (url: string, readings: readonly Telemetry[], options: PublishOptions): Publisher {
  return publishMessages(url, readings.map(telemetryMessage), options)
}

/** Keys `machine|ts|state` of the anomaly events seen on `<prefix>/+/anomalies`, from a persistent QoS 1 session. */
export async function recordAnomalies (url: string, clientId: string, login: { username?: string, password?: string } = {}): Promise<{ events: Set<string>, close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(url, { clientId, clean: false, reconnectPeriod: 250, ...login })
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

/**
 * Polls the DB until it holds `readings` readings, or its count has not moved for `quietMs` (what is
 * missing then is not coming), then returns what it holds.
 */
export async function waitForDb (vmUrl: string, readings: number, timeoutMs = 30_000, quietMs = 4000): Promise<DbAccount> {
  const deadline = Date.now() + timeoutMs
  let last = await dbAccount(vmUrl)
  let movedAt = Date.now()
  while (last.readingCount < readings && Date.now() < deadline && Date.now() - movedAt < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    const now = await dbAccount(vmUrl)
    if (now.readingCount !== last.readingCount) movedAt = Date.now()
    last = now
  }
  return last
}

/** Waits until the detector's counters cover at least `messages` messages and stop moving (or stay still for 5 s short of that). */
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
    if (Date.now() - stableSince > 5000) return now
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
export function assertAccount (published: number, c: Counters, rejected = 0, brokerMayLose = 0): { lateFirst: number, redelivered: number } {
  const account = formatAccount(published, c)
  assert.equal(c.rejectedTotal, rejected, account)
  assert.equal(c.messages, c.scored + c.rejectedTotal + c.duplicates + c.late, `every message counted once: ${account}`)
  const lateFirst = published - c.scored - c.rejectedTotal
  // Readings beyond `late` never reached the detector: only a broker that may lose some explains them.
  assert.ok(lateFirst >= 0 && lateFirst - c.late <= brokerMayLose, `readings neither scored, rejected nor late: ${account}`)
  return { lateFirst, redelivered: c.messages - published }
}

/** The parts of one scenario, all started on free ports in temp dirs and stopped by `t.after`. */
export interface Stack {
  dir: string
  vm: ExternalServer
  broker: ExternalServer
  detector: DetectorProcess
  anomalies: { events: Set<string>, close: () => Promise<void> }
  modelPath: string
  spoolDir: string
}

interface TestContextLike {
  after: (fn: () => Promise<unknown> | unknown) => void
  diagnostic: (message: string) => void
  name: string
}

/** Test options of a scenario that needs durable broker sessions (a known gap, when given, makes it TODO). */
export function durableOptions (_kind: BrokerKind, otherTodo?: string): { todo?: string } {
  return otherTodo === undefined ? {} : { todo: otherTodo }
}

/** VictoriaMetrics, a broker of `kind`, a model, the detector process and an anomaly recorder. */
export async function startStack (t: TestContextLike, kind: BrokerKind, options: { name: string, durable?: boolean, maxPacketSize?: number, detectorArgs?: string[], auth?: boolean, brokerHttpPort?: number }): Promise<Stack> {
  const dir = await tempDir(`rel-${options.name}-`)
  t.after(() => dir.cleanup())
  const vm = await startVictoriaMetrics()
  t.after(async () => { await vm.stop(); await vm.cleanup() })
  const auth = options.auth === true ? await writeAuthFiles(dir.dir) : undefined
  const login = (user: string): { username?: string, password?: string } => auth === undefined ? {} : { username: user, password: passwordOf(user) }
  const broker = await startBroker(kind, { durable: options.durable, maxPacketSize: options.maxPacketSize, auth, httpPort: options.brokerHttpPort })
  t.after(async () => { await broker.stop(); await broker.cleanup() })
  const modelPath = join(dir.dir, 'model.json')
  await writeTestModel(modelPath)
  const spoolDir = join(dir.dir, 'spool')
  const detector = await startDetectorProcess({ brokerUrl: broker.url, modelPath, influxUrl: vm.url, spoolDir, clientId: `rel-${options.name}-${kind}`, args: [...options.detectorArgs ?? [], ...auth === undefined ? [] : ['--username', 'detector', '--password', passwordOf('detector')]] })
  t.after(() => detector.stop())
  const anomalies = await recordAnomalies(broker.url, `rel-${options.name}-anomalies-${kind}`, login('dashboard'))
  t.after(() => anomalies.close())
  // Mosquitto snapshots its store (here after every change, at most once a second): let the sessions reach it.
  if (kind === 'mosquitto' && options.durable !== false) await new Promise((resolve) => setTimeout(resolve, 1500))
  return { dir: dir.dir, vm, broker, detector, anomalies, modelPath, spoolDir }
}

/**
 * Ends a scenario with its account: the detector's counters settle, each reading of `plan` is scored,
 * late or rejected exactly as {@link assertAccount} requires, and every reading and every anomaly event
 * published on MQTT is in VictoriaMetrics.
 */
export async function checkAccount (t: TestContextLike, stack: Stack, plan: readonly Telemetry[], options: { published?: number, rejected?: number, minEvents?: number, counters?: Counters, brokerMayLose?: number } = {}): Promise<Counters> {
  const published = options.published ?? plan.length
  const brokerMayLose = options.brokerMayLose ?? 0
  // A detector restarted mid-run counts only what the new process received: the DB is then the account.
  const c = options.counters ?? await settledCounters(stack.detector.counters, published, 20_000)
  t.diagnostic(formatAccount(published, c))
  if (options.counters === undefined) assertAccount(published, c, options.rejected ?? 0, brokerMayLose)
  const minEvents = options.minEvents ?? 0
  await eventually(() => stack.anomalies.events.size >= minEvents, 30_000, `${minEvents} anomaly events`)
  const db = await waitForDb(stack.vm.url, new Set(plan.map((r) => `${r.machineId}|${r.ts}`)).size)
  const missing = missingFromDb(plan, db, stack.anomalies.events)
  assert.ok(missing.readings <= brokerMayLose, `${missing.readings} readings missing from the DB; ${formatAccount(published, c)}`)
  if (missing.readings > 0) t.diagnostic(`${missing.readings} readings acknowledged by the broker never reached the detector (lost in the broker's crash)`)
  assert.deepEqual(missing.events, [], 'anomaly events missing from the DB')
  return c
}

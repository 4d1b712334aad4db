/**
 * Soak benchmark (not part of `npm test` or `npm run bench`): `npm run soak -- --minutes 10`.
 * Publishes simulated telemetry at a fixed rate (default 5,000 readings/s, QoS 1) through factory-broker
 * into the edge-detector, each in its own process, with VictoriaMetrics as the time-series DB. Prints
 * the detector's RSS at the start (after a warm-up) and at the end, `soak.rss_growth_pct` and the other
 * figures as JSON lines like the benchmarks, and the final account of every reading.
 *
 * Options: --minutes N (10), --rate N (5000), --machines N (100), --warmup-s N (60, at most a fifth of
 * the run), --no-db (no VictoriaMetrics).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateLabelledTelemetry } from '@factory-edge/sensor-simulator'
import { writeBenchModel } from './detector/fixtures.js'
import { freePort, rssMbOf } from './harness.js'
import { publishPacket, rawConnect } from './detector/mqtt-raw.js'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../..')
const BROKER = join(repo, 'broker/dist/src/bin/factory-broker.js')
const DETECTOR = join(repo, 'edge-detector/dist/src/bin/edge-detector.js')

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '5000' },
    machines: { type: 'string', default: '100' },
    'warmup-s': { type: 'string', default: '60' },
    'no-db': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false }
  }
})
if (values.help === true) {
  process.stdout.write('npm run soak -- [--minutes 10] [--rate 5000] [--machines 100] [--warmup-s 60] [--no-db]\n')
  process.exit(0)
}
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const machines = Number(values.machines)
const durationMs = minutes * 60_000
const warmupMs = Math.min(Number(values['warmup-s']) * 1000, durationMs / 5)
if (!(minutes > 0 && rate > 0 && machines > 0)) throw new Error('--minutes, --rate and --machines must be positive')

function report (name: string, value: number, unit: string): void {
  process.stdout.write(JSON.stringify({ name, value: Math.round(value * 100) / 100, unit }) + '\n')
}

function note (text: string): void {
  process.stderr.write(`[soak] ${text}\n`)
}

async function waitFor (check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what} not ready within ${ms} ms`)
}

const portOpen = async (port: number): Promise<boolean> => await new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1')
  socket.once('connect', () => { socket.destroy(); resolve(true) })
  socket.once('error', () => resolve(false))
})

async function stop (child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

async function counters (http: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${http}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^edge_detector_([a-z_]+)(\{reason="([a-z_]+)"\})? (\S+)$/gm)) {
    out[m[3] !== undefined ? `${m[1]}.${m[3]}` : m[1]] = Number(m[4])
  }
  return out
}

const dir = await mkdtemp(join(tmpdir(), 'factory-edge-soak-'))
const children: ChildProcess[] = []
try {
  const modelPath = join(dir, 'model.json')
  await writeBenchModel(modelPath)

  let influxArgs: string[] = []
  if (values['no-db'] !== true) {
    const vmPort = await freePort()
    children.push(spawn('/usr/bin/victoria-metrics', [`-httpListenAddr=127.0.0.1:${vmPort}`, `-storageDataPath=${join(dir, 'vm')}`, '-loggerLevel=ERROR'], { stdio: 'ignore' }))
    await waitFor(() => portOpen(vmPort), 20_000, 'victoria-metrics')
    influxArgs = ['--influx-url', `http://127.0.0.1:${vmPort}`]
  }
  const brokerPort = await freePort()
  children.push(spawn(process.execPath, [BROKER, '--port', String(brokerPort), '--ws=false', '--http-port', '-1', '--log-level', 'warn'], { stdio: 'ignore' }))
  await waitFor(() => portOpen(brokerPort), 20_000, 'factory-broker')
  const httpPort = await freePort()
  const http = `http://127.0.0.1:${httpPort}`
  const detector = spawn(process.execPath, [DETECTOR, '--broker-url', `mqtt://127.0.0.1:${brokerPort}`, '--model', modelPath, '--client-id', 'soak-detector',
    '--http-port', String(httpPort), '--spool-dir', join(dir, 'spool'), '--log-level', 'warn', '--log-format', 'json', ...influxArgs], { stdio: ['ignore', 'ignore', 'inherit'] })
  children.push(detector)
  await waitFor(async () => (await fetch(`${http}/healthz`)).ok, 30_000, 'edge-detector')
  const rssIdle = rssMbOf(detector.pid)
  note(`${minutes} min at ${rate} readings/s over ${machines} machines; detector RSS idle ${rssIdle.toFixed(1)} MB`)

  // Readings from the simulator's physics, in real time: each machine reads every machines/rate seconds.
  const intervalMs = 1000 * machines / rate
  const total = Math.round(rate * durationMs / 1000)
  const readings = generateLabelledTelemetry({ machines, readingsPerMachine: Math.ceil(total / machines), seed: 7, failures: true, startTs: Date.now(), intervalMs })
  const client = await rawConnect(brokerPort, 'soak-publisher')
  let sent = 0
  let acked = 0
  client.onPacket = (p) => { if (p.cmd === 'puback') acked++ }
  const t0 = performance.now()
  let rssStart = 0
  let rssStartTaken = false
  let nextProgress = 60_000
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0
      const due = Math.min(total, Math.floor(elapsed * rate / 1000))
      const chunk: Buffer[] = []
      while (sent < due) {
        const next = readings.next()
        if (next.done === true) break
        const r = next.value.telemetry
        chunk.push(publishPacket(`factory/${r.machineId}/telemetry`, JSON.stringify(r), (sent % 65535) + 1))
        sent++
      }
      if (chunk.length > 0) client.socket.write(Buffer.concat(chunk))
      if (!rssStartTaken && elapsed >= warmupMs) {
        rssStartTaken = true
        rssStart = rssMbOf(detector.pid)
        note(`RSS at start (after ${(warmupMs / 1000).toFixed(0)} s warm-up): ${rssStart.toFixed(1)} MB`)
      }
      if (elapsed >= nextProgress) {
        nextProgress += 60_000
        const mb = rssMbOf(detector.pid)
        void counters(http).then((c) => note(`${(elapsed / 60_000).toFixed(0)} min: sent ${sent}, scored ${c.scored_total}, RSS ${mb.toFixed(1)} MB`))
      }
      if (sent >= total) {
        clearInterval(timer)
        resolve()
      }
    }, 5)
  })
  const sendSeconds = (performance.now() - t0) / 1000
  await waitFor(async () => acked >= sent, 60_000, 'every PUBACK')
  let c = await counters(http)
  await waitFor(async () => {
    c = await counters(http)
    return c.messages_total >= sent
  }, 120_000, 'the detector to take every reading').catch((err: Error) => note(err.message))
  const rssEnd = rssMbOf(detector.pid)
  client.socket.end()

  const rejected = Object.entries(c).filter(([k]) => k.startsWith('rejected_total.')).reduce((a, [, v]) => a + v, 0)
  const lost = sent - c.scored_total - rejected - c.late_total
  report('soak.minutes', minutes, 'min')
  report('soak.rate_msgs_per_s', sent / sendSeconds, 'msg/s')
  report('soak.rss_idle_mb', rssIdle, 'MB')
  report('soak.rss_start_mb', rssStart, 'MB')
  report('soak.rss_end_mb', rssEnd, 'MB')
  report('soak.rss_growth_pct', 100 * (rssEnd - rssStart) / rssStart, '%')
  report('soak.published', sent, 'msg')
  report('soak.scored', c.scored_total, 'msg')
  report('soak.rejected', rejected, 'msg')
  report('soak.late', c.late_total, 'msg')
  report('soak.duplicates', c.duplicates_total, 'msg')
  report('soak.lost', lost, 'msg')
  report('soak.anomalies_raised', c.anomalies_raised_total, 'event')
  report('soak.influx_points_written', c.influx_written_total, 'point')
  report('soak.spool_points_left', c.spool_points, 'point')
  note(`account: published ${sent} = scored ${c.scored_total} + rejected ${rejected} + late ${c.late_total} + lost ${lost}; duplicates ${c.duplicates_total}; ` +
    `anomalies raised ${c.anomalies_raised_total}; points written ${c.influx_written_total}, spooled ${c.spool_points}, dropped ${c.spool_dropped_total}`)
  note(`RSS: idle ${rssIdle.toFixed(1)} MB, start ${rssStart.toFixed(1)} MB, end ${rssEnd.toFixed(1)} MB (${(100 * (rssEnd - rssStart) / rssStart).toFixed(1)} %, target <= 10 %)`)
  if (lost !== 0) process.exitCode = 1
} finally {
  for (const child of children.reverse()) await stop(child)
  await rm(dir, { recursive: true, force: true })
}

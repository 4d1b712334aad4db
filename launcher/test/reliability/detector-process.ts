import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@factory-edge/test-support/ports'
import { eventually } from '@factory-edge/test-support/wait'

// The detector as a child process, and its counters as served on /metrics.

const REPO = fileURLToPath(new URL('../../../../', import.meta.url))
export const DETECTOR_BIN = join(REPO, 'edge-detector/dist/src/bin/edge-detector.js')

/** The detector's counters, as served on /metrics. */
export interface Counters {
  messages: number
  scored: number
  /** Readings added to a machine's learning data instead of being scored. */
  learning: number
  rejected: Record<string, number>
  rejectedTotal: number
  duplicates: number
  late: number
  machines: number
  evicted: number
  modelRefused: number
  spoolPoints: number
  influxWritten: number
  /** Connections the detector made to the MQTT broker: 1 plus each reconnection. */
  brokerConnections: number
  /** With `--source nats://`: readings replayed (outputs closed) to rebuild the windows of partitions taken over; also in `scored`. */
  natsReplayed: number
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
    learning: value('edge_detector_learning_readings_total'),
    rejected,
    rejectedTotal: Object.values(rejected).reduce((a, b) => a + b, 0),
    duplicates: value('edge_detector_duplicates_total'),
    late: value('edge_detector_late_total'),
    machines: value('edge_detector_machines'),
    evicted: value('edge_detector_machines_evicted_total'),
    modelRefused: value('edge_detector_model_refused_total'),
    spoolPoints: value('edge_detector_spool_points'),
    influxWritten: value('edge_detector_influx_written_total'),
    brokerConnections: value('edge_detector_broker_connections_total'),
    natsReplayed: value('edge_detector_nats_replayed_total')
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

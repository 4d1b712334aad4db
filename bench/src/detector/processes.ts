// The processes of the end-to-end benchmarks: factory-broker, the edge-detector service and the
// publisher child, each started as a user would, plus the waits and counters the measurements need.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../harness.js'
import { rawConnect } from './mqtt-raw.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../../..')
const BROKER = join(root, 'broker/dist/src/bin/factory-broker.js')
const DETECTOR = join(root, 'edge-detector/dist/src/bin/edge-detector.js')
/** The node flags the `edge-detector` command runs with: those on the #! line of its bin. */
export const DETECTOR_NODE_FLAGS = shebangNodeFlags(join(root, 'edge-detector/bin/edge-detector.js'))

function shebangNodeFlags (file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0]
  const match = /^#!\/usr\/bin\/env (?:-S )?node((?: --\S+)*)$/.exec(first)
  if (match === null) throw new Error(`${file} does not start with a #!/usr/bin/env node line: ${first}`)
  return match[1].split(' ').filter((f) => f !== '')
}

export async function waitFor (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const portOpen = (port: number): Promise<boolean> => new Promise((resolve) => {
  const s = connect(port, '127.0.0.1')
  s.once('connect', () => { s.destroy(); resolve(true) })
  s.once('error', () => resolve(false))
})

/** Runs a child to completion and returns its last stdout line parsed as JSON. */
export function runJson<T> (args: string[], timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => { out += String(d) })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${args[args.length - 2] ?? args[0]} timed out`)) }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) reject(new Error(`child exited with ${code}: ${out}`))
      else resolve(JSON.parse(line) as T)
    })
  })
}

export function stop (child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  })
}

export async function startBrokerProcess (): Promise<{ child: ChildProcess, port: number }> {
  const port = await freePort()
  const child = spawn(process.execPath, [BROKER, '--port', String(port), '--no-ws', '--http-port', '-1', '--log-level', 'warn'], { stdio: 'ignore' })
  await waitFor(() => portOpen(port), 20_000, 'the broker')
  return { child, port }
}

export async function startDetectorProcess (brokerPort: number, modelPath: string, dir: string, extra: string[] = [], nodeFlags: readonly string[] = DETECTOR_NODE_FLAGS): Promise<{ child: ChildProcess, http: string }> {
  const httpPort = await freePort()
  const child = spawn(process.execPath, [...nodeFlags, DETECTOR, '--broker-url', `mqtt://127.0.0.1:${brokerPort}`, '--model', modelPath, '--no-watch-model', '--http-port', String(httpPort), '--log-level', 'warn', '--log-format', 'json', '--spool-dir', join(dir, 'spool'), ...extra], { stdio: ['ignore', 'ignore', 'inherit'] })
  const http = `http://127.0.0.1:${httpPort}`
  await waitFor(async () => (await fetch(`${http}/healthz`)).ok, 20_000, 'the detector')
  return { child, http }
}

/** Ends a persistent session, so that the broker stops queueing messages for a client that is gone. */
export async function wipeSession (port: number, clientId: string): Promise<void> {
  const client = await rawConnect(port, clientId, true)
  client.socket.end()
}

export async function counter (http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text()
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text)
  return match === null ? 0 : Number(match[1])
}

export interface PublisherResult { published: number, acked: number, startedAt: number, finishedAt: number, events: number, p50: number, p99: number, max: number }

export const publisherArgs = (port: number, o: { machines: number, perMachine: number, rate: number, observe: boolean, flipEvery: number }): string[] =>
  [join(here, 'publisher.js'), JSON.stringify({ port, window: 2000, ...o })]

/**
 * One round of the detector's throughput: a fresh detector process, `publish` at full speed, the time
 * until it scored the last message (its scored counter polled every 20 ms). `whileOpen` runs once the
 * detector is up (e.g. opens its web view) and returns what undoes it.
 */
export async function detectorThroughput (brokerPort: number, modelPath: string, dir: string, total: number, publish: () => Promise<PublisherResult>, whileOpen?: (http: string) => Promise<() => Promise<void>>): Promise<{ msgsPerS: number, lost: number }> {
  const detector = await startDetectorProcess(brokerPort, modelPath, dir)
  try {
    const http = detector.http
    const undo = await whileOpen?.(http)
    try {
      const base = await counter(http, 'edge_detector_scored_total')
      let lastAt = 0
      let seen = base
      const poll = setInterval(() => {
        void counter(http, 'edge_detector_scored_total').then((n) => {
          if (n > seen) { seen = n; lastAt = Date.now() }
        }).catch(() => {})
      }, 20)
      const pub = await publish()
      await waitFor(async () => seen >= base + total, 60_000, 'the detector to score every message').catch(() => {})
      clearInterval(poll)
      const scored = await counter(http, 'edge_detector_scored_total') - base
      return { msgsPerS: total / ((lastAt - pub.startedAt) / 1000), lost: total - scored }
    } finally {
      await undo?.()
    }
  } finally {
    await stop(detector.child)
    await wipeSession(brokerPort, 'factory-edge-detector')
  }
}

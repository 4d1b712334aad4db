import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { Aedes } from 'aedes'
import { type Model } from '@factory-edge/shared/ml'
import { createLogger, type Logger } from '@factory-edge/shared/runtime'
import { writeTestModel } from './readings.js'

/** A logger that writes nothing, for quiet tests. */
export function quietLogger (): Logger {
  return createLogger('test', { level: process.env.TEST_LOG_LEVEL as 'info' | undefined ?? 'silent', format: 'json', destination: process.stderr })
}

export async function tempDir (prefix = 'edge-detector-test-'): Promise<{ dir: string, cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: async () => await rm(dir, { recursive: true, force: true }) }
}

/** A free TCP port on loopback (for programs that cannot listen on port 0 and report it). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

/** What the detector's tests need of a broker: where it is, and a way to stop it. */
export interface TestBroker {
  url: string
  close: () => Promise<void>
}

/**
 * A plain aedes broker, in process, on a free loopback port: the detector's tests need any MQTT broker,
 * and the detector depends on `shared` only, not on our broker package.
 */
export async function startTestBroker (): Promise<TestBroker> {
  const aedes = await Aedes.createBroker()
  const server = createServer(aedes.handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** Polls `check` until it returns true or the timeout passes (generous: the machine may be busy). */
export async function eventually (check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

export interface ExternalServer {
  url: string
  port: number
  stop: () => Promise<void>
  /** SIGKILL: no chance to save anything (a crash or power cut). */
  kill: () => Promise<void>
  /** Starts it again on the same port and data directory. */
  restart: () => Promise<void>
  /** Removes its temporary directory (after stop). */
  cleanup: () => Promise<void>
}

async function waitForExit (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  })
}

async function killNow (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

async function waitForPort (port: number, child: ChildProcess, name: string, timeoutMs = 20_000): Promise<void> {
  const { connect } = await import('node:net')
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`)
    return await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
  }, timeoutMs, `${name} on port ${port}`)
}

/**
 * A server program on `port`, started (and restartable) with the same arguments; `dir` is its temp
 * directory, removed by `cleanup`. Resolves once the port accepts connections.
 */
export async function startServerProcess (name: string, command: string, args: string[], port: number, url: string, dir: { dir: string, cleanup: () => Promise<void> }): Promise<ExternalServer> {
  let child: ChildProcess
  const start = async (): Promise<void> => {
    child = spawn(command, args, { stdio: 'ignore' })
    await waitForPort(port, child, name)
  }
  await start()
  return { url, port, stop: async () => { await waitForExit(child) }, kill: async () => { await killNow(child) }, restart: start, cleanup: dir.cleanup }
}

/** Debian's victoria-metrics on a free loopback port with a temporary data directory. */
export async function startVictoriaMetrics (): Promise<ExternalServer> {
  const dir = await tempDir('vm-')
  const port = await freePort()
  const args = [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir.dir}`, '-loggerLevel=ERROR', '-search.latencyOffset=0s', '-http.maxGracefulShutdownDuration=1s', '-search.disableCache']
  return await startServerProcess('victoria-metrics', '/usr/bin/victoria-metrics', args, port, `http://127.0.0.1:${port}`, dir)
}

/**
 * Debian's mosquitto on a free loopback port with anonymous access; sessions in memory, or with
 * `persistent` saved in the temp dir after every change (mosquitto only snapshots its store, so a
 * SIGKILL loses what changed since the last save); `auth` turns anonymous
 * access off and uses a password file and an ACL file. `lines` are appended.
 */
export async function startMosquitto (options: { persistent?: boolean, lines?: string[], auth?: { passwordFile: string, aclFile: string } } = {}): Promise<ExternalServer> {
  const dir = await tempDir('mosquitto-')
  const port = await freePort()
  const conf = join(dir.dir, 'mosquitto.conf')
  const persistence = options.persistent === true
    ? ['persistence true', `persistence_location ${dir.dir}/`, 'autosave_interval 1', 'autosave_on_changes true']
    : ['persistence false']
  const access = options.auth === undefined ? ['allow_anonymous true'] : ['allow_anonymous false', `password_file ${options.auth.passwordFile}`, `acl_file ${options.auth.aclFile}`]
  // Started as root, mosquitto switches to its own user, which could not read or write the private temp dir.
  await writeFile(conf, [`listener ${port} 127.0.0.1`, `user ${userInfo().username}`, ...access, ...persistence, 'max_queued_messages 100000', ...options.lines ?? []].join('\n') + '\n')
  return await startServerProcess('mosquitto', '/usr/sbin/mosquitto', ['-c', conf], port, `mqtt://127.0.0.1:${port}`, dir)
}

/** Series exported from VictoriaMetrics as parsed JSON lines. */
export async function exportSeries (vmUrl: string, match: string): Promise<Array<{ metric: Record<string, string>, values: number[], timestamps: number[] }>> {
  // Recent writes sit in memory for a few seconds before they are searchable; this endpoint flushes them.
  await fetch(`${vmUrl}/internal/force_flush`)
  const res = await fetch(`${vmUrl}/api/v1/export?match[]=${encodeURIComponent(match)}`)
  if (!res.ok) throw new Error(`export failed: ${res.status} ${await res.text()}`)
  const text = await res.text()
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l))
}

/** What most service tests start from: a broker and a temporary directory holding a test model. */
export interface BrokerAndModel {
  broker: TestBroker
  dir: string
  modelPath: string
  model: Model
}

/** Starts a test broker and writes a test model to a temporary directory; both go away after the test. */
export async function brokerAndModel (t: { after: (fn: () => Promise<void>) => void }): Promise<BrokerAndModel> {
  const broker = await startTestBroker()
  t.after(() => broker.close())
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const modelPath = join(dir, 'model.json')
  const model = await writeTestModel(modelPath)
  return { broker, dir, modelPath, model }
}

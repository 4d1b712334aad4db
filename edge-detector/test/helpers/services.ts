import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type BrokerHandle } from '@factory-edge/broker'
import { createLogger, type Logger } from '@factory-edge/shared'

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

/** Our aedes broker, in process, on a free port. */
export async function startTestBroker (): Promise<BrokerHandle> {
  return await startBroker({ port: 0, logger: quietLogger(), allowAnonymous: true })
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

/** Debian's victoria-metrics on a free loopback port with a temporary data directory. */
export async function startVictoriaMetrics (): Promise<ExternalServer> {
  const { dir, cleanup } = await tempDir('vm-')
  const port = await freePort()
  let child: ChildProcess
  const start = async (): Promise<void> => {
    child = spawn('/usr/bin/victoria-metrics', [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-loggerLevel=ERROR', '-search.latencyOffset=0s', '-http.maxGracefulShutdownDuration=1s', '-search.disableCache'], { stdio: 'ignore' })
    await waitForPort(port, child, 'victoria-metrics')
  }
  await start()
  return { url: `http://127.0.0.1:${port}`, port, stop: async () => { await waitForExit(child) }, restart: start, cleanup }
}

/** Debian's mosquitto on a free loopback port, with persistence in memory and anonymous access. */
export async function startMosquitto (): Promise<ExternalServer> {
  const { dir, cleanup } = await tempDir('mosquitto-')
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n`)
  let child: ChildProcess
  const start = async (): Promise<void> => {
    child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' })
    await waitForPort(port, child, 'mosquitto')
  }
  await start()
  return { url: `mqtt://127.0.0.1:${port}`, port, stop: async () => { await waitForExit(child) }, restart: start, cleanup }
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

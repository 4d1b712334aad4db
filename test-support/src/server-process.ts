import { spawn, type ChildProcess } from 'node:child_process'
import { portOpen } from './ports.js'
import { type TempDir } from './temp-dir.js'
import { eventually } from './wait.js'

// A server program in its own process for the system tests (mosquitto, victoria-metrics, our broker),
// on a loopback port with a temporary directory.

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
  /** The process id of the running server (for CPU and memory figures). */
  pid: () => number | undefined
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
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`)
    return await portOpen(port)
  }, timeoutMs, `${name} on port ${port}`)
}

/**
 * A server program on `port`, started (and restartable) with the same arguments; `dir` is its temp
 * directory, removed by `cleanup`. Resolves once the port accepts connections.
 */
export async function startServerProcess (name: string, command: string, args: string[], port: number, url: string, dir: TempDir): Promise<ExternalServer> {
  let child: ChildProcess
  const start = async (): Promise<void> => {
    child = spawn(command, args, { stdio: 'ignore' })
    await waitForPort(port, child, name)
  }
  await start()
  return { url, port, stop: async () => { await waitForExit(child) }, kill: async () => { await killNow(child) }, restart: start, cleanup: dir.cleanup, pid: () => child.pid }
}

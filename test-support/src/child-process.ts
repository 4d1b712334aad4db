import assert from 'node:assert/strict'
import { spawn, type ChildProcess, type SpawnSyncReturns } from 'node:child_process'

/** A child process started by a test, with its output kept for error messages. */
export interface Child {
  process: ChildProcess
  output: () => string
  /** SIGTERM, then SIGKILL after `ms`; resolves with the exit code. */
  stop: (ms?: number) => Promise<number | null>
}

/** Spawns a program and resolves once `ready(output)` is true; rejects if it exits first or times out. */
export async function startProcess (command: string, args: string[], ready: (output: string) => boolean | Promise<boolean>, options: { env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<Child> {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  const exit = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    child.once('exit', (code) => resolve(code))
  })
  const stop = async (ms = 5000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), ms)
      const code = await exit
      clearTimeout(timer)
      return code
    }
    return await exit
  }
  const deadline = Date.now() + (options.timeoutMs ?? 15000)
  while (!(await ready(output))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`${command} did not become ready:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { process: child, output: () => output, stop }
}

/** Asserts that a finished command exited with `code` after one line on stderr matching `message`, and no stack trace. */
export function assertOneLineExit (result: Pick<SpawnSyncReturns<string>, 'status' | 'stderr'>, code: number, message: RegExp): void {
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '')
  assert.equal(result.status, code, result.stderr)
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`)
  assert.match(lines[0], message)
}

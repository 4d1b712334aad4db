/** Shared pieces of the simulator benchmarks: a private mosquitto and the Pi bundle. */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { freePort } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = resolve(here, '../..')
export const MOSQUITTO = '/usr/sbin/mosquitto'

export interface Mosquitto {
  url: string
  /** PUBLISH packets the broker has received so far ($SYS, refreshed every second). */
  publishReceived: () => Promise<number>
  close: () => Promise<void>
}

/** Starts Debian's mosquitto on a free port (a separate process, so the broker does not share our CPU time). */
export async function startMosquitto (): Promise<Mosquitto> {
  if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found: apt-get install mosquitto`)
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'))
  const port = await freePort()
  writeFileSync(join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 1\nmax_queued_messages 100000\n`)
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', join(dir, 'm.conf')], { stdio: 'ignore' })
  const url = `mqtt://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) break
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('mosquitto did not start')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    publishReceived: async () => {
      const client = await mqtt.connectAsync(url)
      try {
        return await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no $SYS publish count from mosquitto')), 5000)
          client.on('message', (_t, payload) => { clearTimeout(timer); resolve(Number(payload.toString())) })
          client.subscribe('$SYS/broker/publish/messages/received')
        })
      } finally {
        await client.endAsync(true)
      }
    },
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Waits until the broker's publish count stops moving (it refreshes once a second). */
export async function settledPublishCount (broker: Mosquitto): Promise<number> {
  let last = await broker.publishReceived()
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const now = await broker.publishReceived()
    if (now === last) return now
    last = now
  }
  return last
}

/** Builds the Raspberry Pi bundle (esbuild, about a second) and returns its path. */
export function buildPiBundle (): string {
  execFileSync(process.execPath, [join(repoRoot, 'sensor-simulator/scripts/build-pi.mjs')], { stdio: 'ignore' })
  return join(repoRoot, 'sensor-simulator/dist-pi/sensor-simulator.cjs')
}

/** Runs the compiled simulator-child.js with node flags and returns its one-line JSON report. */
export async function runSimulatorChild (nodeFlags: string[], input: unknown): Promise<Record<string, number>> {
  const child = spawn(process.execPath, [...nodeFlags, join(here, 'simulator-child.js'), JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`simulator child exited with ${code}`)
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, number>
}

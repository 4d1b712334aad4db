import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Aedes } from 'aedes'
import mqtt, { type MqttClient } from 'mqtt'

export interface RunningBroker {
  url: string
  port: number
  /** Connected aedes clients by id (aedes only). */
  clients?: () => Record<string, { close: () => void }>
  close: () => Promise<void>
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** An in-process aedes broker on a free (or the given) port. */
export async function startAedes (port = 0): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker()
  const server = net.createServer(aedes.handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const actual = (server.address() as net.AddressInfo).port
  return {
    url: `mqtt://127.0.0.1:${actual}`,
    port: actual,
    clients: () => (aedes as unknown as { clients: Record<string, { close: () => void }> }).clients,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export const MOSQUITTO = '/usr/sbin/mosquitto'

/** Debian's mosquitto on a free port with a temp config; `users` turns on password authentication. */
export async function startMosquitto (users?: Record<string, string>): Promise<RunningBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'))
  const port = await freePort()
  const lines = [`listener ${port} 127.0.0.1`, 'persistence false', 'log_dest stderr', 'log_type error']
  if (users !== undefined) {
    const passwd = join(dir, 'passwd')
    writeFileSync(passwd, '')
    for (const [user, password] of Object.entries(users)) {
      await run('/usr/bin/mosquitto_passwd', ['-b', passwd, user, password])
    }
    // mosquitto started as root drops to its own user, which must be able to read the file.
    chmodSync(dir, 0o755)
    chmodSync(passwd, 0o644)
    lines.push('allow_anonymous false', `password_file ${passwd}`)
  } else {
    lines.push('allow_anonymous true')
  }
  const config = join(dir, 'mosquitto.conf')
  writeFileSync(config, lines.join('\n') + '\n')
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const deadline = Date.now() + 10_000
  for (;;) {
    if (await canConnect(port)) break
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`mosquitto did not start: ${stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
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

async function canConnect (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

async function run (cmd: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore' })
    child.once('error', reject)
    child.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`)))
  })
}

/** A subscriber that records every message it gets. */
export interface Recorder {
  client: MqttClient
  messages: Array<{ topic: string, payload: Buffer, retain: boolean }>
  /** Messages whose topic ends with `/<kind>`. */
  of: (kind: string) => Array<{ topic: string, payload: Buffer, retain: boolean }>
  close: () => Promise<void>
}

/** Subscribes to `topic` on `url` and records what arrives. */
export async function record (url: string, topic = '#', options: mqtt.IClientOptions = {}): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...options })
  const messages: Recorder['messages'] = []
  client.on('message', (t, payload, packet) => messages.push({ topic: t, payload, retain: packet.retain }))
  await client.subscribeAsync(topic, { qos: 1 })
  return {
    client,
    messages,
    of: (kind) => messages.filter((m) => m.topic.endsWith(`/${kind}`)),
    close: async () => { await client.endAsync(true) }
  }
}

/** Polls `check` until it returns true, failing after `timeoutMs` (generous: CI machines are busy). */
export async function eventually (check: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

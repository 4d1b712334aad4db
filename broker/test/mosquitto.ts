import { spawn } from 'node:child_process'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { userInfo } from 'node:os'
import { MOSQUITTO } from '@factory-edge/test-support/mosquitto'
import { freePort, portOpen } from '@factory-edge/test-support/ports'

/** The repository's mosquitto.conf (tests run from the repository root). */
export const MOSQUITTO_CONF = 'mosquitto.conf'

export interface RunningMosquitto {
  url: string
  wsUrl: string
  /** mqtts:// URL when TLS was enabled. */
  tlsUrl?: string
  port: number
  wsPort: number
  /** Everything Mosquitto logged so far. */
  log: () => string
  stop: () => Promise<void>
}

export interface MosquittoFiles {
  /** Temporary directory for the rewritten config and the persistence store. */
  dir: string
  passwordFile: string
  aclFile: string
  /** When given, the commented-out TLS listener of mosquitto.conf is enabled with these PEM files. */
  tls?: { certFile: string, keyFile: string }
  /**
   * Run as a root user runs the repository's file: only the listeners are rewritten, the relative paths
   * (config/, data/mosquitto/) are kept and resolved in `dir`, and Mosquitto drops to its own user.
   */
  asShipped?: boolean
  /**
   * With `asShipped`: Mosquitto keeps the user that starts it, as when an ordinary user who owns the
   * checkout runs it (started as root, it would drop to its own user).
   */
  keepUser?: boolean
}

/**
 * Rewrites the repository's mosquitto.conf for a test: listeners on free loopback ports, the given
 * password and ACL files, persistence in the temp dir. Everything else is kept as written.
 */
export async function rewriteConfig (text: string, files: MosquittoFiles): Promise<{ text: string, port: number, wsPort: number, tlsPort?: number }> {
  const port = await freePort()
  const wsPort = await freePort()
  const tlsPort = files.tls !== undefined ? await freePort() : undefined
  let listeners = 0
  let tlsBlock = false
  const out = text.split('\n').map((raw) => {
    let line = raw
    // The TLS block is the commented-out `#listener 8883` and the `#key value` lines after it.
    if (/^#listener\s/.test(line)) tlsBlock = true
    else if (tlsBlock && !/^#[a-z_]+\s/.test(line)) tlsBlock = false
    if (tlsBlock) {
      if (files.tls === undefined) return line
      line = line.slice(1)
      const [key] = line.split(/\s+/)
      if (key === 'listener') return `listener ${tlsPort} 127.0.0.1`
      if (key === 'certfile') return `certfile ${files.tls.certFile}`
      if (key === 'keyfile') return `keyfile ${files.tls.keyFile}`
      return line
    }
    const [key] = line.trim().split(/\s+/)
    switch (key) {
      case 'listener': {
        listeners++
        return `listener ${listeners === 1 ? port : wsPort} 127.0.0.1`
      }
      case 'password_file': return files.asShipped === true ? line : `password_file ${files.passwordFile}`
      case 'acl_file': return files.asShipped === true ? line : `acl_file ${files.aclFile}`
      case 'persistence_location': return files.asShipped === true ? line : `persistence_location ${join(files.dir, 'data')}/`
      default: return line
    }
  })
  if (listeners !== 2) throw new Error(`expected 2 listeners (mqtt, websockets) in mosquitto.conf, found ${listeners}`)
  if (files.tls !== undefined && !out.some((line) => line === `listener ${tlsPort} 127.0.0.1`)) throw new Error('no commented-out TLS listener found in mosquitto.conf')
  // Mosquitto started as root switches to the `mosquitto` user, which cannot read a private temp dir.
  if (files.asShipped !== true || files.keepUser === true) out.push(`user ${userInfo().username}`)
  return { text: out.join('\n') + '\n', port, wsPort, tlsPort }
}

/** Starts /usr/sbin/mosquitto with the repository's configuration, rewritten for a test. */
export async function startMosquitto (files: MosquittoFiles, confPath = MOSQUITTO_CONF): Promise<RunningMosquitto> {
  const { text, port, wsPort, tlsPort } = await rewriteConfig(await readFile(confPath, 'utf8'), files)
  if (files.asShipped !== true) await mkdir(join(files.dir, 'data'), { recursive: true })
  const conf = join(files.dir, 'mosquitto.conf')
  await writeFile(conf, text)
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], cwd: files.dir })
  let log = ''
  child.stdout.on('data', (d: Buffer) => { log += d.toString() })
  child.stderr.on('data', (d: Buffer) => { log += d.toString() })
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve() }))
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM')
    await exit
  }
  const deadline = Date.now() + 15000
  // eslint-disable-next-line no-unmodified-loop-condition -- tlsPort is fixed on purpose; the awaited port checks are what change
  while (!(await portOpen(port) && await portOpen(wsPort) && (tlsPort === undefined || await portOpen(tlsPort)))) {
    if (exited || Date.now() > deadline) {
      await stop()
      throw new Error(`mosquitto did not start:\n${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url: `mqtt://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${wsPort}`, ...(tlsPort !== undefined ? { tlsUrl: `mqtts://127.0.0.1:${tlsPort}` } : {}), port, wsPort, log: () => log, stop }
}

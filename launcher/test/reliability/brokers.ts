import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startMosquitto } from '@factory-edge/test-support/mosquitto'
import { freePort } from '@factory-edge/test-support/ports'
import { startServerProcess, type ExternalServer } from '@factory-edge/test-support/server-process'
import { tempDir } from '@factory-edge/test-support/temp-dir'

// The reliability suite's brokers, each in its own process: ours (aedes) and Debian's mosquitto.

const REPO = fileURLToPath(new URL('../../../../', import.meta.url))
export const BROKER_BIN = join(REPO, 'broker/dist/src/bin/factory-broker.js')

export type BrokerKind = 'aedes' | 'mosquitto'
export const BROKERS: readonly BrokerKind[] = ['aedes', 'mosquitto']

export interface BrokerOptions {
  maxPacketSize?: number
  durable?: boolean
  /** Anonymous access off; users from the password file, rights from the ACL file. */
  auth?: { passwordFile: string, aclFile: string }
  /** aedes only: serve /metrics on this port. */
  httpPort?: number
}

/** Users of the reliability suite, with `<user>-secret` passwords, for config/acl. */
export const USERS = ['detector', 'simulator', 'dashboard', 'machine-1', 'machine-2'] as const
export const passwordOf = (user: string): string => `${user}-secret`

/** A password file (mosquitto_passwd hashes, which both brokers read) and the repository's config/acl. */
export async function writeAuthFiles (dir: string): Promise<{ passwordFile: string, aclFile: string }> {
  const passwordFile = join(dir, 'passwords')
  for (const [i, user] of USERS.entries()) {
    execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwordFile, user, passwordOf(user)], { stdio: 'ignore' })
  }
  return { passwordFile, aclFile: join(REPO, 'config/acl') }
}

/**
 * A broker in its own process, by default with durable sessions (aedes: LevelDB store; mosquitto:
 * persistence file); `durable: false` keeps them in memory.
 */
export async function startBroker (kind: BrokerKind, options: BrokerOptions = {}): Promise<ExternalServer> {
  const maxPacketSize = options.maxPacketSize ?? 262_144
  const durable = options.durable ?? true
  if (kind === 'mosquitto') return await startMosquitto({ persistent: durable, auth: options.auth, lines: [`max_packet_size ${maxPacketSize}`, 'max_inflight_messages 100'] })
  const access = options.auth === undefined ? ['--allow-anonymous'] : ['--allow-anonymous=false', '--password-file', options.auth.passwordFile, '--acl-file', options.auth.aclFile]
  const dir = await tempDir('aedes-')
  const port = await freePort()
  const args = [BROKER_BIN, '--port', String(port), '--ws=false', '--http-port', '-1', '--persistence', durable ? 'level' : 'memory', '--persistence-dir', join(dir.dir, 'store'),
    ...access, '--max-packet-size', String(maxPacketSize), '--log-level', 'warn', ...options.httpPort !== undefined ? ['--http-port', String(options.httpPort)] : []]
  return await startServerProcess('factory-broker', process.execPath, args, port, `mqtt://127.0.0.1:${port}`, dir)
}

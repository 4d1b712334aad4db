import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './ports.js'
import { startServerProcess, type ExternalServer } from './server-process.js'
import { tempDir } from './temp-dir.js'

export const MOSQUITTO = '/usr/sbin/mosquitto'
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd'

export interface MosquittoOptions {
  /** Sessions saved in the temp dir after every change, instead of kept in memory only. */
  persistent?: boolean
  /** Config lines appended as they are. */
  lines?: string[]
  /** Anonymous access off: these files decide who may connect and what they may do. */
  auth?: { passwordFile: string, aclFile?: string }
  /** Anonymous access off: a password file with these users (name → password), written in the temp dir. */
  users?: Record<string, string>
}

/**
 * Debian's mosquitto on a free loopback port with anonymous access; sessions in memory, or with
 * `persistent` saved in the temp dir after every change (mosquitto only snapshots its store, so a
 * SIGKILL loses what changed since the last save); `auth` or `users` turn anonymous access off.
 */
export async function startMosquitto (options: MosquittoOptions = {}): Promise<ExternalServer> {
  const dir = await tempDir('mosquitto-')
  const port = await freePort()
  const conf = join(dir.dir, 'mosquitto.conf')
  const persistence = options.persistent === true
    ? ['persistence true', `persistence_location ${dir.dir}/`, 'autosave_interval 1', 'autosave_on_changes true']
    : ['persistence false']
  const auth = options.users !== undefined ? { passwordFile: await writePasswordFile(dir.dir, options.users), ...options.auth } : options.auth
  const access = auth === undefined
    ? ['allow_anonymous true']
    : ['allow_anonymous false', `password_file ${auth.passwordFile}`, ...auth.aclFile !== undefined ? [`acl_file ${auth.aclFile}`] : []]
  // Started as root, mosquitto switches to its own user, which could not read or write the private temp dir.
  await writeFile(conf, [`listener ${port} 127.0.0.1`, `user ${userInfo().username}`, ...access, ...persistence, 'max_queued_messages 100000', ...options.lines ?? []].join('\n') + '\n')
  return await startServerProcess('mosquitto', MOSQUITTO, ['-c', conf], port, `mqtt://127.0.0.1:${port}`, dir)
}

/** Hashes the passwords with mosquitto's own tool (its hash format is its business). */
async function writePasswordFile (dir: string, users: Record<string, string>): Promise<string> {
  const file = join(dir, 'passwd')
  await writeFile(file, '')
  for (const [user, password] of Object.entries(users)) {
    await promisify(execFile)(MOSQUITTO_PASSWD, ['-b', file, user, password])
  }
  return file
}

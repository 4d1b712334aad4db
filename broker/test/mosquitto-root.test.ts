import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, copyFile, mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { MOSQUITTO } from '@factory-edge/test-support/mosquitto'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { connect, endClient } from './helpers.js'
import { MOSQUITTO_CONF, startMosquitto } from './mosquitto.js'

// The repository's mosquitto.conf started as root, as a service would start it: Mosquitto drops to its
// own user, which cannot write a persistence directory that root owns (or that does not exist). With
// deploy/scripts/mosquitto-host-setup.sh run first, a retained message survives a restart. Run by the
// user who owns a clone, it saves in the data/mosquitto/ the clone has (tracked, data/mosquitto/.gitkeep).

const SETUP = resolve('deploy/scripts/mosquitto-host-setup.sh')
const canRun = process.getuid?.() === 0 && existsSync(MOSQUITTO) && (() => {
  try { execFileSync('id', ['mosquitto'], { stdio: 'ignore' }); return true } catch { return false }
})()
const skip = canRun ? false : 'needs root, /usr/sbin/mosquitto and a mosquitto user'
const hasGit = ((): boolean => { try { execFileSync('git', ['ls-files', '--error-unmatch', 'mosquitto.conf'], { stdio: 'ignore' }); return true } catch { return false } })()
const simulator = { username: 'simulator', password: 'simulator-secret' }
const dashboard = { username: 'dashboard', password: 'dashboard-secret' }

/**
 * What a clone has of the files mosquitto.conf names (the tracked files of config/ and data/, nothing
 * made by hand), in a temp dir that root owns, with a password file.
 */
async function checkout (): Promise<{ dir: string, cleanup: () => Promise<void> }> {
  const dir = await tempDir('mosquitto-root-')
  // The dropped user must be able to reach the checkout, as in a home or /opt directory.
  await chmod(dir.dir, 0o755)
  for (const file of execFileSync('git', ['ls-files', '-z', '--', 'config/acl', 'data'], { encoding: 'utf8' }).split('\0').filter((f) => f !== '')) {
    await mkdir(dirname(join(dir.dir, file)), { recursive: true })
    await copyFile(file, join(dir.dir, file))
  }
  for (const [i, user] of [simulator, dashboard].entries()) {
    execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', join(dir.dir, 'config/passwords'), user.username, user.password], { stdio: 'ignore' })
  }
  return dir
}

async function retainedSurvivesRestart (dir: string, keepUser = false): Promise<{ survived: boolean, log: string }> {
  const files = { dir, passwordFile: 'config/passwords', aclFile: 'config/acl', asShipped: true, keepUser }
  let broker = await startMosquitto(files, MOSQUITTO_CONF)
  const publisher = await connect(broker.url, simulator)
  await publisher.publishAsync('factory/machine-1/status', 'online', { qos: 1, retain: true })
  await endClient(publisher)
  await broker.stop() // Mosquitto saves its store when it stops
  let log = broker.log()
  broker = await startMosquitto(files, MOSQUITTO_CONF)
  try {
    const received: string[] = []
    const reader = await connect(broker.url, dashboard, (_topic, payload) => received.push(payload.toString()))
    await reader.subscribeAsync('factory/+/status', { qos: 1 })
    await eventually(() => received.length > 0, 2000, 'the retained status').catch(() => {})
    await endClient(reader)
    log += broker.log()
    return { survived: received.includes('online'), log }
  } finally {
    await broker.stop()
  }
}

test('mosquitto.conf run as root: without the setup script the store cannot be saved, with it a retained message survives a restart', { skip, timeout: 60_000 }, async (t) => {
  const plain = await checkout()
  t.after(() => plain.cleanup())
  const before = await retainedSurvivesRestart(plain.dir)
  assert.equal(before.survived, false, 'the retained message was lost with the store')
  assert.match(before.log, /Error saving in-memory database/)

  const prepared = await checkout()
  t.after(() => prepared.cleanup())
  execFileSync('sh', [SETUP], { cwd: prepared.dir })
  const after = await retainedSurvivesRestart(prepared.dir)
  assert.ok(after.survived, after.log)
  assert.doesNotMatch(after.log, /Error saving/)
})

test('mosquitto.conf run by the user who owns a fresh clone: data/mosquitto/ is in the clone, so a retained message survives a restart', { skip: !(existsSync(MOSQUITTO) && hasGit) && 'needs /usr/sbin/mosquitto and a git checkout', timeout: 60_000 }, async (t) => {
  const clone = await checkout()
  t.after(() => clone.cleanup())
  const run = await retainedSurvivesRestart(clone.dir, true)
  assert.doesNotMatch(run.log, /Error saving/)
  assert.ok(run.survived, run.log)
})

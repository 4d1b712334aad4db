import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, copyFile, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { MOSQUITTO } from '@factory-edge/test-support/mosquitto'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { connect, endClient } from './helpers.js'
import { MOSQUITTO_CONF, startMosquitto } from './mosquitto.js'

// The repository's mosquitto.conf started as root, as a service would start it: Mosquitto drops to its
// own user, which cannot write a persistence directory that root owns (or that does not exist). With
// deploy/scripts/mosquitto-host-setup.sh run first, a retained message survives a restart.

const SETUP = resolve('deploy/scripts/mosquitto-host-setup.sh')
const canRun = process.getuid?.() === 0 && existsSync(MOSQUITTO) && (() => {
  try { execFileSync('id', ['mosquitto'], { stdio: 'ignore' }); return true } catch { return false }
})()
const skip = canRun ? false : 'needs root, /usr/sbin/mosquitto and a mosquitto user'
const simulator = { username: 'simulator', password: 'simulator-secret' }
const dashboard = { username: 'dashboard', password: 'dashboard-secret' }

/** A copy of the repository's layout in a temp dir that root owns: mosquitto.conf, config/, data/. */
async function checkout (): Promise<{ dir: string, cleanup: () => Promise<void> }> {
  const dir = await tempDir('mosquitto-root-')
  // The dropped user must be able to reach the checkout, as in a home or /opt directory.
  await chmod(dir.dir, 0o755)
  await mkdir(join(dir.dir, 'config'))
  await mkdir(join(dir.dir, 'data'))
  await copyFile('config/acl', join(dir.dir, 'config/acl'))
  for (const [i, user] of [simulator, dashboard].entries()) {
    execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', join(dir.dir, 'config/passwords'), user.username, user.password], { stdio: 'ignore' })
  }
  return dir
}

async function retainedSurvivesRestart (dir: string): Promise<{ survived: boolean, log: string }> {
  const files = { dir, passwordFile: 'config/passwords', aclFile: 'config/acl', asShipped: true }
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

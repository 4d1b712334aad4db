import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setPassword } from '@factory-edge/broker'
import { startProcess, type Child } from '@factory-edge/test-support/child-process'
import { freePort } from '@factory-edge/test-support/ports'
import { writeTestModel } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { BROKER_BIN } from './brokers.js'
import { DETECTOR_BIN } from './detector-process.js'

// The detector's link to a broker it cannot use: first none listens, then factory-broker refuses its
// password, then the password file is fixed and reloaded (SIGHUP). Throughout, the detector keeps trying,
// says why at error level with the wait before the next attempt (which doubles), and /healthz says so.

interface LogLine { level: number, msg: string, cause?: string, retryInMs?: number, failedAttempts?: number }
interface Health { ok: boolean, broker: { connected: boolean, lastError?: string, failedAttempts: number, nextRetryAt?: string } }

const failures = (detector: Child): LogLine[] => detector.output().split('\n').filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg.startsWith('cannot reach the MQTT broker'))

test('unreachable broker, then a wrong password: retried with a doubling wait, logged as errors with the cause, shown on /healthz; connected once fixed', { timeout: 90_000 }, async (t) => {
  const dir = await tempDir('broker-link-')
  t.after(() => dir.cleanup())
  const modelPath = join(dir.dir, 'model.json')
  await writeTestModel(modelPath)
  const passwordFile = join(dir.dir, 'passwords')
  await setPassword(passwordFile, 'detector', 'the-right-one')
  const [mqttPort, httpPort] = [await freePort(), await freePort()]
  const healthz = async (): Promise<{ status: number, body: Health }> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`)
    return { status: res.status, body: await res.json() as Health }
  }

  const detector = await startProcess(process.execPath, [DETECTOR_BIN, '--broker-url', `mqtt://127.0.0.1:${mqttPort}`, '--username', 'detector', '--password', 'a-wrong-one',
    '--model', modelPath, '--http-port', String(httpPort), '--log-format', 'json'], (out) => out.includes('cannot reach the MQTT broker'))
  t.after(() => detector.stop())

  // Nothing listens: refused connections, each an error line with its cause and the next wait.
  await eventually(() => failures(detector).length >= 2, 10_000, 'two failed attempts')
  const refused = failures(detector)
  assert.ok(refused.every((l) => l.level === 50), 'logged at error level')
  assert.match(refused[0].cause ?? '', /ECONNREFUSED/)
  assert.match(refused[0].msg, /ECONNREFUSED.*next attempt in 1\.0 s/)
  let health = await healthz()
  assert.equal(health.status, 503)
  assert.equal(health.body.ok, false)
  assert.equal(health.body.broker.connected, false)
  assert.match(health.body.broker.lastError ?? '', /ECONNREFUSED/)
  assert.ok(health.body.broker.failedAttempts >= 2)

  // The broker comes up, but the detector's password is wrong.
  const broker = await startProcess(process.execPath, [BROKER_BIN, '--port', String(mqttPort), '--ws=false', '--http-port', '-1', '--password-file', passwordFile,
    '--allow-anonymous=false', '--log-format', 'json'], (out) => out.includes('broker listening'))
  t.after(() => broker.stop())
  await eventually(() => failures(detector).some((l) => /Not authorized|Bad username or password/.test(l.cause ?? '')), 30_000, 'a refused login')
  health = await healthz()
  assert.equal(health.status, 503)
  assert.match(health.body.broker.lastError ?? '', /Not authorized|Bad username or password/)
  assert.ok(Date.parse(health.body.broker.nextRetryAt ?? '') > Date.now() - 1000, `next attempt announced: ${JSON.stringify(health.body.broker)}`)

  // The wait doubles from 1 s after every failure (1, 2, 4 s ... up to the 30 s cap).
  const waits = failures(detector).map((l) => l.retryInMs)
  assert.deepEqual(waits, waits.map((_, i) => Math.min(1000 * 2 ** i, 30_000)))
  assert.ok(waits.length >= 3)

  // The password file now holds the detector's password: the next attempt succeeds.
  await setPassword(passwordFile, 'detector', 'a-wrong-one')
  broker.process.kill('SIGHUP')
  await eventually(() => broker.output().includes('password file and ACL reloaded'), 10_000, 'the broker to reload')
  await eventually(() => detector.output().includes('connected and subscribed'), 30_000, 'the detector to connect')
  health = await healthz()
  assert.equal(health.status, 200)
  assert.deepEqual(health.body.broker, { ...health.body.broker, connected: true, failedAttempts: 0 })
  assert.equal(health.body.broker.lastError, undefined)
  assert.equal(health.body.broker.nextRetryAt, undefined)
})

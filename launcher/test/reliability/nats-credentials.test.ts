import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startProcess } from '@factory-edge/test-support/child-process'
import { startNatsCluster } from '@factory-edge/test-support/nats'
import { freePort } from '@factory-edge/test-support/ports'
import { writeTestModel } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { DETECTOR_BIN, settledCounters, startDetectorProcess } from './detector-process.js'
import { createStreamAndFindLeader, natsDetectorArgs } from './nats-stack.js'
import { machineIds, publishReadings, readingPlan } from './traffic.js'

// Scenario: a NATS cluster whose clients must log in (an `authorization` block, as in
// deploy/nats/nats.conf). A detector with the right --nats-user/--nats-password consumes and scores; one
// with a wrong password keeps running, logs every refused attempt at error level with its cause and the
// (doubling) wait before the next, and /healthz says so, as for a refused MQTT login.

const PARTITIONS = 4

interface LogLine { level: number, msg: string, cause?: string }
interface Health { ok: boolean, nats?: { connected: boolean, lastError?: string, failedAttempts: number, nextRetryAt?: string } }

test('NATS credentials: the right password consumes, a wrong one is logged with its cause, retried and shown on /healthz', { timeout: 60_000 }, async (t) => {
  const teardown: Array<() => Promise<unknown>> = []
  t.after(async () => { for (const step of teardown.reverse()) await step().catch(() => {}) })
  const users = { detector: 'detector-pw', sensors: 'sensors-pw' }
  const cluster = await startNatsCluster({ partitions: PARTITIONS, users })
  teardown.push(async () => { await cluster.stop(); await cluster.cleanup() })
  const dir = await tempDir('rel-nats-auth-')
  teardown.push(dir.cleanup)
  const modelPath = join(dir.dir, 'model.json')
  await writeTestModel(modelPath)
  const entry = await createStreamAndFindLeader(cluster, { user: 'detector', pass: users.detector })
  // The cluster's MQTT listener checks the same users: the detector's events go out as `detector`.
  const detectorArgs = (natsPassword: string): string[] => ['--username', 'detector', '--password', users.detector, ...natsDetectorArgs(cluster, PARTITIONS), '--nats-user', 'detector', '--nats-password', natsPassword]

  const httpPort = await freePort()
  const refused = await startProcess(process.execPath, [DETECTOR_BIN, 'run', '--broker-url', entry.mqttUrl, '--client-id', 'rel-nats-wrong', '--model', modelPath,
    '--spool-dir', join(dir.dir, 'spool-wrong'), '--http-port', String(httpPort), '--log-format', 'json', ...detectorArgs('a-wrong-one')], (out) => out.includes('cannot connect to NATS'))
  teardown.push(async () => await refused.stop())
  const failures = (): LogLine[] => refused.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg.startsWith('cannot connect to NATS'))
  await eventually(() => failures().length >= 2, 15_000, 'two refused attempts')
  const [first, second] = failures()
  assert.ok(failures().every((l) => l.level === 50), 'logged at error level')
  assert.match(first.cause ?? '', /Authorization Violation/)
  assert.match(first.msg, /Authorization Violation.*next attempt in 1\.0 s/)
  assert.match(second.msg, /next attempt in 2\.0 s/)
  const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`)
  const health = await res.json() as Health
  assert.equal(res.status, 503)
  assert.equal(health.ok, false)
  assert.equal(health.nats?.connected, false)
  assert.match(health.nats?.lastError ?? '', /Authorization Violation/)
  assert.ok((health.nats?.failedAttempts ?? 0) >= 2)
  assert.ok(health.nats?.nextRetryAt !== undefined)

  const detector = await startDetectorProcess({ brokerUrl: entry.mqttUrl, modelPath, spoolDir: join(dir.dir, 'spool-right'), clientId: 'rel-nats-right', args: detectorArgs(users.detector) })
  teardown.push(async () => await detector.stop())
  const plan = readingPlan(machineIds('auth-', 4), 10)
  const sensors = publishReadings(entry.mqttUrl, plan, { clientId: 'rel-nats-auth-sensors', username: 'sensors', password: users.sensors })
  teardown.push(async () => await sensors.client.endAsync(true))
  await sensors.done
  const counters = await settledCounters(detector.counters, plan.length, 20_000)
  assert.equal(counters.scored, plan.length, 'every reading scored by the detector with the right password')

  assert.equal(refused.process.exitCode, null, 'the detector with the wrong password is still running, trying again')
  await eventually(() => failures().length >= 3, 15_000, 'a third refused attempt, after a wait of 2 s')
  assert.match(failures()[2].msg, /next attempt in 4\.0 s/)
  // Waiting for its next attempt does not hold up a stop.
  const stoppedAt = Date.now()
  assert.equal(await refused.stop(), 0, refused.output().slice(-2000))
  assert.ok(Date.now() - stoppedAt < 4000, `stopped in ${Date.now() - stoppedAt} ms`)
})

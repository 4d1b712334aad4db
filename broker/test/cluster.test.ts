import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { freePort } from '@factory-edge/test-support/ports'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { connect, endClient, nextMessage } from './helpers.js'
import { startProcess, type Child } from '@factory-edge/test-support/child-process'
import { startRedis } from '@factory-edge/test-support/redis'

// Two factory-broker processes sharing mqemitter-redis and aedes-persistence-redis on a private Redis,
// as aedes documents for clusters.

const BIN = 'broker/dist/src/bin/factory-broker.js'
const hasRedis = ((): boolean => { try { execFileSync('redis-server', ['--version']); return true } catch { return false } })()

function startNode (name: string, port: number, redisUrl: string): Promise<Child> {
  const env = { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', BROKER_WS: 'false', BROKER_HTTP_PORT: '-1' }
  return startProcess(process.execPath, [BIN, '--port', String(port), '--persistence', 'redis', '--redis-url', redisUrl, '--broker-id', name], (out) => out.includes('broker listening'), { env })
}

/** Resumes a persistent session and returns what it receives (waiting for `count`, then a little more for duplicates). */
async function resume (url: string, clientId: string, count: number, ms = 10000): Promise<string[]> {
  const got: string[] = []
  const client = await connect(url, { clientId, clean: false }, (_topic, payload) => { got.push(payload.toString()) })
  const deadline = Date.now() + ms
  while (got.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  await new Promise((resolve) => setTimeout(resolve, 100))
  await endClient(client)
  return got
}

describe('a two-node cluster on Redis', { skip: !hasRedis && 'redis-server is not installed' }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let redis: Child
  let redisUrl: string
  const nodes: Record<'a' | 'b', { port: number, child?: Child }> = { a: { port: 0 }, b: { port: 0 } }

  before(async () => {
    dir = await tempDir()
    const redisPort = await freePort()
    redis = await startRedis(redisPort, dir.dir)
    redisUrl = `redis://127.0.0.1:${redisPort}`
    for (const name of ['a', 'b'] as const) {
      nodes[name].port = await freePort()
      nodes[name].child = await startNode(`node-${name}`, nodes[name].port, redisUrl)
    }
  })
  after(async () => {
    await Promise.all([nodes.a.child?.stop(), nodes.b.child?.stop()])
    await redis?.stop()
    await dir?.cleanup()
  })

  const url = (name: 'a' | 'b'): string => `mqtt://127.0.0.1:${nodes[name].port}`
  const restart = async (name: 'a' | 'b'): Promise<void> => {
    assert.equal(await nodes[name].child?.stop(), 0, nodes[name].child?.output())
    nodes[name].child = await startNode(`node-${name}`, nodes[name].port, redisUrl)
  }

  test('a client on node A receives what is published on node B, and the other way round', async (t) => {
    const onA = await connect(url('a'))
    const onB = await connect(url('b'))
    t.after(() => Promise.all([endClient(onA), endClient(onB)]))
    await onA.subscribeAsync('factory/+/anomalies', { qos: 1 })
    await onB.subscribeAsync('factory/+/telemetry', { qos: 1 })
    const atA = nextMessage(onA)
    await onB.publishAsync('factory/m1/anomalies', 'from B', { qos: 1 })
    assert.equal((await atA).payload.toString(), 'from B')
    const atB = nextMessage(onB)
    await onA.publishAsync('factory/m1/telemetry', 'from A', { qos: 1 })
    assert.equal((await atB).payload.toString(), 'from A')
    // A retained message stored through B is served by A (the persistence is shared).
    // aedes stores a retained message before it forwards it, so once B's own subscriber has it, it is stored.
    await onB.subscribeAsync('factory/+/state', { qos: 1 })
    const live = nextMessage(onB, (topic) => topic === 'factory/m1/state')
    await onB.publishAsync('factory/m1/state', 'anomalous', { qos: 1, retain: true })
    await live
    const late = await connect(url('a'))
    t.after(() => endClient(late))
    const retained = nextMessage(late)
    await late.subscribeAsync('factory/+/state', { qos: 1 })
    assert.equal((await retained).payload.toString(), 'anomalous')
  })

  test('QoS 1 messages for a persistent session survive the restart of either node', async () => {
    // The session lives on node A; messages arrive through node B while it is offline.
    const detector = await connect(url('a'), { clientId: 'cluster-detector', clean: false })
    await detector.subscribeAsync('factory/+/telemetry', { qos: 1 })
    await endClient(detector)
    // Node B learns of A's new subscription through Redis, asynchronously: until it has, what B
    // receives is not queued for the offline session. Probe until a message through B is queued.
    const probe = await connect(url('b'))
    let queued: string[] = []
    for (let i = 0; i < 50 && queued.length === 0; i++) {
      await probe.publishAsync('factory/m2/telemetry', `probe-${i}`, { qos: 1 })
      queued = await resume(url('a'), 'cluster-detector', 1, 300)
    }
    await endClient(probe)
    assert.ok(queued.length > 0, 'node B never queued for the session of node A')
    await resume(url('a'), 'cluster-detector', Infinity, 300) // a late probe must not count below
    const sensorB = await connect(url('b'))
    for (let i = 0; i < 10; i++) await sensorB.publishAsync('factory/m2/telemetry', `first-${i}`, { qos: 1 })
    await endClient(sensorB)

    await restart('a')
    assert.deepEqual(await resume(url('a'), 'cluster-detector', 10), Array.from({ length: 10 }, (_, i) => `first-${i}`))

    // Offline again; messages arrive through A; node B restarts; the session resumes on B.
    const sensorA = await connect(url('a'))
    for (let i = 0; i < 10; i++) await sensorA.publishAsync('factory/m2/telemetry', `second-${i}`, { qos: 1 })
    await endClient(sensorA)
    await restart('b')
    assert.deepEqual(await resume(url('b'), 'cluster-detector', 10), Array.from({ length: 10 }, (_, i) => `second-${i}`))
  })
})

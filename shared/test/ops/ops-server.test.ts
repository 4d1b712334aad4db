import { test } from 'node:test'
import assert from 'node:assert/strict'
import { collectedCounter, collectedGauge, createMetricsRegistry, startOpsServer, type HealthReport } from '../../src/ops/index.js'

test('/healthz answers 200 or 503 with the report; /metrics the registry, default metrics included', async (t) => {
  const registry = createMetricsRegistry()
  let handled = 0
  collectedCounter(registry, 'test_handled_total', 'Messages handled', () => handled)
  let report: HealthReport = { ok: true, status: 'ok' }
  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, portSetting: '--http-port', health: () => report, registry })
  t.after(() => ops.close())
  assert.match(ops.url, /^http:\/\/127\.0\.0\.1:\d+$/)

  const healthy = await fetch(`${ops.url}/healthz`)
  assert.equal(healthy.status, 200)
  assert.match(healthy.headers.get('content-type') ?? '', /^application\/json/)
  assert.deepEqual(await healthy.json(), { ok: true, status: 'ok' })
  report = { ok: false, status: 'closing' }
  const sick = await fetch(`${ops.url}/healthz`)
  assert.equal(sick.status, 503)
  assert.deepEqual(await sick.json(), { ok: false, status: 'closing' })

  handled = 42
  const metrics = await fetch(`${ops.url}/metrics?x=1`)
  assert.equal(metrics.status, 200)
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const text = await metrics.text()
  assert.match(text, /^# TYPE test_handled_total counter$/m)
  assert.match(text, /^test_handled_total 42$/m)
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
    assert.match(text, new RegExp(`^${name} [0-9.e+-]+$`, 'm'), name)
  }

  const head = await fetch(`${ops.url}/metrics`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(await head.text(), '')
  assert.equal((await fetch(`${ops.url}/nope`)).status, 404)
  const post = await fetch(`${ops.url}/healthz`, { method: 'POST' })
  assert.equal(post.status, 405)
  assert.equal(post.headers.get('allow'), 'GET, HEAD')
})

test('two registries live in one process, each with its own metrics and the default ones', async (t) => {
  const a = createMetricsRegistry()
  const b = createMetricsRegistry()
  const bare = createMetricsRegistry({ defaultMetrics: false })
  collectedGauge(a, 'test_a', 'A', () => 1)
  collectedGauge(b, 'test_b', 'B', () => [[{ side: 'left' }, 2]], ['side'])
  const textA = await a.metrics()
  const textB = await b.metrics()
  assert.match(textA, /^test_a 1$/m)
  assert.doesNotMatch(textA, /test_b/)
  assert.match(textB, /^test_b\{side="left"\} 2$/m)
  assert.doesNotMatch(textB, /test_a/)
  assert.match(textA, /^process_resident_memory_bytes \d+$/m)
  assert.match(textB, /^process_resident_memory_bytes \d+$/m)
  assert.equal((await bare.metrics()).trim(), '')

  const opsA = await startOpsServer({ host: '127.0.0.1', port: 0, portSetting: '--http-port', health: () => ({ ok: true }), registry: a })
  const opsB = await startOpsServer({ host: '127.0.0.1', port: 0, portSetting: '--http-port', health: () => ({ ok: true }), registry: b })
  t.after(async () => { await opsA.close(); await opsB.close() })
  assert.notEqual(opsA.url, opsB.url)
  assert.match(await (await fetch(`${opsB.url}/metrics`)).text(), /^test_b\{side="left"\} 2$/m)
})

test('a port in use rejects with the listen error; close is idempotent', async () => {
  const registry = createMetricsRegistry({ defaultMetrics: false })
  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, portSetting: '--http-port', health: () => ({ ok: true }), registry })
  const port = Number(new URL(ops.url).port)
  await assert.rejects(startOpsServer({ host: '127.0.0.1', port, portSetting: '--http-port (env HTTP_PORT)', health: () => ({ ok: true }), registry }), { code: 'ERR_LISTEN', exitCode: 2, errno: 'EADDRINUSE', message: `HTTP endpoint (/healthz, /metrics): port ${port} on 127.0.0.1 is already in use (another program, or another copy of this one, listens there); choose another with --http-port (env HTTP_PORT)` })
  await Promise.all([ops.close(), ops.close()])
  await assert.rejects(fetch(`${ops.url}/healthz`))
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker } from '../src/index.js'
import { connect, endClient, quietLogger } from './helpers.js'

test('/healthz reports status and clients; /metrics is Prometheus text with the counters', async (t) => {
  const broker = await startBroker({ port: 0, httpPort: 0, logger: quietLogger() })
  t.after(() => broker.close())
  assert.ok(broker.httpPort !== undefined && broker.httpPort > 0)
  const base = `http://127.0.0.1:${broker.httpPort}`
  const client = await connect(broker.url)
  t.after(() => endClient(client))
  await client.subscribeAsync('m/#')
  await client.publishAsync('m/1', 'x', { qos: 1 })
  await new Promise((resolve) => setTimeout(resolve, 50))

  const health = await fetch(`${base}/healthz`)
  assert.equal(health.status, 200)
  const body = await health.json() as { ok: boolean, status: string, clients: number, brokerId: string, uptimeSeconds: number }
  assert.equal(body.status, 'ok')
  assert.equal(body.clients, 1)
  assert.equal(body.ok, true)
  assert.equal(body.brokerId, broker.aedes.id)
  assert.equal(typeof body.uptimeSeconds, 'number')

  const metrics = await fetch(`${base}/metrics`)
  assert.equal(metrics.status, 200)
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const text = await metrics.text()
  assert.match(text, /^# TYPE factory_broker_clients_connected gauge$/m)
  assert.match(text, /^factory_broker_clients_connected 1$/m)
  assert.match(text, /^factory_broker_messages_in_total 1$/m)
  assert.match(text, /^factory_broker_messages_out_total 1$/m)
  assert.match(text, /^factory_broker_acl_denials_total\{action="publish"\} 0$/m)
  // Every sample line of the broker's own metrics is `name{labels} integer`; the process and Node.js
  // metrics of prom-client (fractional seconds, version labels) are Prometheus samples too, with empty
  // lines between metrics, which the format allows.
  for (const line of text.trim().split('\n')) {
    if (line.startsWith('factory_broker_')) assert.match(line, /^[a-z_]+(\{[a-z]+="[a-z]+"\})? \d+$/, line)
    if (line !== '' && !line.startsWith('#')) assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? -?(\d+(\.\d+)?(e[+-]?\d+)?|\+Inf|NaN)$/, line)
  }
  assert.equal(text.split('\n').filter((line) => line.startsWith('factory_broker_')).length, 16)
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
    assert.match(text, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'), name)
    assert.match(text, new RegExp(`^${name} [0-9.e+-]+$`, 'm'), name)
  }
  assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m)
  assert.equal((await fetch(`${base}/healthz`, { method: 'HEAD' })).status, 200)

  assert.equal((await fetch(`${base}/nope`)).status, 404)
  assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405)
})

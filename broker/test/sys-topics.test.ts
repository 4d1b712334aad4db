import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startBroker } from '../src/index.js'
import { eventually } from '@factory-edge/test-support/wait'
import { connect, endClient, quietLogger } from './helpers.js'

const TOPICS = ['version', 'uptime', 'clients/connected', 'publish/messages/received', 'publish/messages/sent', 'bytes/received', 'bytes/sent'].map((t) => `$SYS/broker/${t}`)

test('$SYS/broker/… statistics reach a $SYS/# subscriber, retained and refreshed; # does not match them', async (t) => {
  const broker = await startBroker({ port: 0, wsPort: null, httpPort: null, sysInterval: 1, logger: quietLogger() })
  t.after(() => broker.close())
  const latest = new Map<string, string>()
  const sys = await connect(broker.url, {}, (topic, payload) => latest.set(topic, payload.toString()))
  t.after(() => endClient(sys))
  const everything: string[] = []
  const all = await connect(broker.url, {}, (topic) => everything.push(topic))
  t.after(() => endClient(all))
  await all.subscribeAsync('#', { qos: 0 })
  await sys.subscribeAsync('$SYS/#', { qos: 0 })

  // Retained: the values are there at once for a new subscriber.
  await eventually(() => TOPICS.every((topic) => latest.has(topic)), 5000, 'every $SYS topic')
  assert.match(latest.get('$SYS/broker/version') ?? '', /^factory-broker \d+\.\d+\.\d+/)
  assert.match(latest.get('$SYS/broker/uptime') ?? '', /^\d+ seconds$/)
  // The retained values are from start-up (no clients); the next refresh counts these two.
  await eventually(() => latest.get('$SYS/broker/clients/connected') === '2', 5000, 'two clients connected')

  const publisher = await connect(broker.url)
  t.after(() => endClient(publisher))
  for (let i = 0; i < 5; i++) await publisher.publishAsync('factory/m1/telemetry', 'x'.repeat(100), { qos: 1 })
  // A client cannot write $SYS: acknowledged and dropped.
  await publisher.publishAsync('$SYS/broker/version', 'forged', { qos: 1 })
  await eventually(() => Number(latest.get('$SYS/broker/publish/messages/received')) >= 5 && latest.get('$SYS/broker/clients/connected') === '3', 5000, 'the next refresh')
  assert.ok(Number(latest.get('$SYS/broker/publish/messages/sent')) >= 5, 'the # subscriber got the five messages')
  assert.ok(Number(latest.get('$SYS/broker/bytes/received')) > 500)
  assert.ok(Number(latest.get('$SYS/broker/bytes/sent')) > 500)
  assert.match(latest.get('$SYS/broker/version') ?? '', /^factory-broker /)
  // MQTT-4.7.2-1: a filter starting with a wildcard does not match topics starting with $.
  assert.ok(everything.length >= 5 && everything.every((topic) => !topic.startsWith('$')), JSON.stringify(everything.slice(0, 10)))
})

/**
 * The baseline of the end-to-end benchmark (its own process): an mqtt.js subscriber with the detector's
 * session settings (fixed client id, clean: false, QoS 1) that only parses each payload as JSON.
 * Prints `ready` once subscribed, then one JSON line when `expected` messages have arrived.
 */
import mqtt from 'mqtt'

const [url, expectedText] = process.argv.slice(2)
const expected = Number(expectedText)
const client = await mqtt.connectAsync(url, { clientId: 'bench-noop-subscriber', clean: false, protocolVersion: 4 })
let count = 0
let parsed = 0
let firstAt = 0
client.on('message', (_topic, payload) => {
  if (count === 0) firstAt = Date.now()
  const value = JSON.parse(payload.toString()) as { seq?: number }
  if (typeof value.seq === 'number') parsed++
  count++
  if (count === expected) {
    process.stdout.write(JSON.stringify({ count, parsed, firstAt, lastAt: Date.now() }) + '\n')
    void client.endAsync().then(() => process.exit(0))
  }
})
await client.subscribeAsync('factory/+/telemetry', { qos: 1 })
process.stdout.write('ready\n')

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { badPayloads } from './fuzzer.js'
import { BROKERS, checkAccount, machineIds, publishMessages, readingPlan, startStack, telemetryMessage } from './harness.js'

const BAD = 10_000
const SEED = 20261124

// Scenario 4: 10,000 payloads from a seeded fuzzer, interleaved with good readings, through a real
// broker into the detector process. It must stay up, count every bad payload under the reason the
// fuzzer expects, and score every good reading.
describe('reliability: malformed input', () => {
  for (const kind of BROKERS) {
    test(`${kind}: ${BAD} fuzzed payloads each counted under their reason, every good reading scored`, { timeout: 120_000 }, async (t) => {
      // Packets of up to 2 MB pass the broker, so that the 1 MB strings reach the detector. Sessions in
      // memory: this scenario is about input, not durability.
      const stack = await startStack(t, kind, { name: 'fuzz', durable: false, maxPacketSize: 2 * 1024 * 1024 })
      const good = readingPlan(machineIds('good-', 10), 100)
      const expected: Record<string, number> = {}
      const kinds = new Set<string>()
      const messages: Array<{ topic: string, payload: string | Buffer }> = []
      let g = 0
      for (const bad of badPayloads(BAD, SEED)) {
        expected[bad.reason] = (expected[bad.reason] ?? 0) + 1
        kinds.add(bad.kind)
        messages.push(bad)
        if (messages.length % 5 === 0 && g < good.length) messages.push(telemetryMessage(good[g++]))
      }
      while (g < good.length) messages.push(telemetryMessage(good[g++]))
      assert.ok(kinds.has('1 MB string') && kinds.has('invalid UTF-8') && kinds.has('deep nesting') && kinds.has('NaN literal'))

      const publisher = publishMessages(stack.broker.url, messages, { clientId: `rel-fuzz-sensors-${kind}`, window: 100 })
      t.after(() => publisher.client.endAsync(true))
      await publisher.done
      assert.equal(publisher.failed, 0)

      const c = await checkAccount(t, stack, good, { published: messages.length, rejected: BAD, minEvents: 20 })
      assert.deepEqual(c.rejected, expected, 'rejects by reason')
      assert.equal(c.scored, good.length, 'every good reading scored')
      assert.equal(c.duplicates + c.late, 0)
      const health = await (await fetch(`${stack.detector.httpUrl}/healthz`)).json() as { ok: boolean }
      assert.equal(health.ok, true, 'the detector is still up and connected')
    })
  }
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { sendMalformedClients } from '@factory-edge/test-support/raw-mqtt'
import { eventually } from '@factory-edge/test-support/wait'
import { BROKERS, checkAccount, machineIds, publishReadings, readingPlan, settledCounters, startStack } from './harness.js'

// Issue 17's malformed clients (a will of QoS 3, a 30,000-byte invalid topic plain and retained, U+0000
// in a topic, the filter a+/telemetry), sent while sensors publish, against the detector process with
// its persistent QoS 1 session, before and after a broker restart on the same store. Each once made
// factory-broker disconnect that session at every reconnect; now the broker refuses them, and the
// detector must stay connected (its connection count moves only with the restart) and score every
// good reading.
describe('reliability: malformed MQTT clients next to the detector', () => {
  for (const kind of BROKERS) {
    test(`${kind}: the detector stays connected and scores every good reading, across a broker restart`, { timeout: 120_000 }, async (t) => {
      const stack = await startStack(t, kind, { name: 'malformed-clients' })
      const plan = readingPlan(machineIds('mill-', 5), 40)
      const half = plan.length / 2

      const before = publishReadings(stack.broker.url, plan.slice(0, half), { clientId: `rel-malformed-sensors-1-${kind}` })
      t.after(() => before.client.endAsync(true))
      await sendMalformedClients(stack.broker.port)
      await before.done
      await before.client.endAsync()
      const early = await settledCounters(stack.detector.counters, half, 20_000)
      assert.equal(early.scored, half, 'every reading before the restart scored')
      assert.equal(early.brokerConnections, 1, 'the detector was never disconnected before the restart')

      await stack.broker.stop()
      await stack.broker.restart()
      await eventually(async () => (await stack.detector.counters()).brokerConnections === 2, 30_000, 'the detector back after the restart')
      await sendMalformedClients(stack.broker.port)
      const after = publishReadings(stack.broker.url, plan.slice(half), { clientId: `rel-malformed-sensors-2-${kind}` })
      t.after(() => after.client.endAsync(true))
      await sendMalformedClients(stack.broker.port)
      await after.done
      assert.equal(before.failed + after.failed, 0)

      const c = await checkAccount(t, stack, plan)
      assert.equal(c.scored, plan.length, 'every good reading scored')
      // A delivery that failed to encode would disconnect the session again at once: a second looks for that.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      assert.equal((await stack.detector.counters()).brokerConnections, 2, 'disconnected only by the restart')
    })
  }
})

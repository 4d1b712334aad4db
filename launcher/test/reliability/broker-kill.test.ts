import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { eventually } from '@factory-edge/test-support/wait'
import { BROKERS, checkAccount, durableOptions, machineIds, publishReadings, readingPlan, startStack } from './harness.js'

// Scenario 1: the broker is SIGKILLed mid-stream and restarted on the same port and store. Publisher,
// detector and anomaly subscriber all hold persistent QoS 1 sessions, so every reading arrives (some
// twice: those whose PUBACK the kill swallowed, or that the restored store still held) and every
// anomaly event reaches the DB. After the restart the broker's backlog and the publisher's resends
// interleave, so a few readings may arrive out of order: they are stored but not scored (late).
// Mosquitto's store is a snapshot (saved here after every change, but not before its PUBACK): a reading
// it acknowledged just before the kill can be gone after the restart, never delivered. Its account
// allows 1 % such losses and reports them; the detector must still account for every delivery exactly.
describe('reliability: broker SIGKILL mid-stream and restart', () => {
  for (const kind of BROKERS) {
    test(`${kind}: no reading lost, redeliveries dropped as duplicates, every event in the DB`, { timeout: 120_000, ...durableOptions(kind) }, async (t) => {
      const stack = await startStack(t, kind, { name: 'broker-kill' })
      const plan = readingPlan(machineIds('press-', 20), 120)
      const publisher = publishReadings(stack.broker.url, plan, { clientId: `rel-broker-kill-sensors-${kind}` })
      t.after(() => publisher.client.endAsync(true))
      await eventually(() => publisher.acked >= plan.length / 3, 60_000, 'a third of the readings acknowledged')
      await stack.broker.kill()
      await new Promise((resolve) => setTimeout(resolve, 500))
      await stack.broker.restart()
      await publisher.done
      assert.equal(publisher.failed, 0)
      await checkAccount(t, stack, plan, { minEvents: 40, brokerMayLose: kind === 'mosquitto' ? plan.length / 100 : 0 })
    })
  }
})

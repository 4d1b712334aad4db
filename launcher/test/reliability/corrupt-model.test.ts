import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { eventually } from '@factory-edge/test-support/wait'
import { BROKERS, checkAccount, machineIds, publishReadings, readingPlan, startStack } from './harness.js'

// Scenario 7: a corrupt model file replaces the model at run time. The watcher refuses it, logs why,
// and the old model keeps scoring every reading.
describe('reliability: corrupt model file dropped in at run time', () => {
  for (const kind of BROKERS) {
    test(`${kind}: refused and counted, the old model keeps scoring`, { timeout: 120_000 }, async (t) => {
      const stack = await startStack(t, kind, { name: 'corrupt-model', durable: false })
      const before = await (await fetch(`${stack.detector.httpUrl}/healthz`)).json() as { model: { version: string } }
      const plan = readingPlan(machineIds('drill-', 10), 120)
      const publisher = publishReadings(stack.broker.url, plan, { clientId: `rel-corrupt-model-sensors-${kind}`, ratePerSec: plan.length / 5 })
      t.after(() => publisher.client.endAsync(true))
      await eventually(() => publisher.acked >= plan.length / 4, 60_000, 'a quarter of the readings')
      const good = await import('node:fs/promises').then(async (fs) => await fs.readFile(stack.modelPath, 'utf8'))
      await writeFile(stack.modelPath, good.slice(0, Math.floor(good.length / 2)))
      await eventually(async () => (await stack.detector.counters()).modelRefused >= 1, 30_000, 'the corrupt model refused')
      await writeFile(stack.modelPath, '{"format":"not a model"}')
      await eventually(async () => (await stack.detector.counters()).modelRefused >= 2, 30_000, 'the second corrupt model refused')
      await publisher.done
      const after = await (await fetch(`${stack.detector.httpUrl}/healthz`)).json() as { ok: boolean, model: { version: string, lastError?: string } }
      assert.equal(after.model.version, before.model.version, 'the old model stays')
      assert.ok(after.model.lastError !== undefined && after.model.lastError.length > 0, 'the refusal reason is reported on /healthz')
      assert.ok(after.ok)
      const c = await checkAccount(t, stack, plan, { minEvents: 20 })
      assert.equal(c.scored, plan.length, 'every reading scored, by the old model')
      assert.match(stack.detector.output(), /refus|corrupt|invalid/i)
    })
  }
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { eventually } from '@factory-edge/test-support/wait'
import { BROKERS, checkAccount, durableOptions, machineIds, publishReadings, readingPlan, startStack } from './harness.js'

// The issue asks for 30 s; `npm test` uses a shorter outage to stay fast. REL_DB_OUTAGE_S=30 runs the full one.
const OUTAGE_S = Number(process.env.REL_DB_OUTAGE_S ?? 5)

// Scenario 2: VictoriaMetrics stops mid-stream and comes back. The detector keeps scoring, spools its
// points to disk while the DB is down, and replays them (oldest first) once it is back.
describe('reliability: time-series DB down, then back', () => {
  for (const kind of BROKERS) {
    test(`${kind}: DB down ${OUTAGE_S} s (REL_DB_OUTAGE_S) mid-stream: spooled to disk, replayed, nothing lost`, { timeout: 120_000 + OUTAGE_S * 2000, ...durableOptions(kind) }, async (t) => {
      const stack = await startStack(t, kind, { name: 'db-outage' })
      const plan = readingPlan(machineIds('mill-', 10), 100 + OUTAGE_S * 20)
      // Paced so that the stream outlasts the outage.
      const publisher = publishReadings(stack.broker.url, plan, { clientId: `rel-db-outage-sensors-${kind}`, ratePerSec: plan.length / (OUTAGE_S + 4) })
      t.after(() => publisher.client.endAsync(true))
      await eventually(() => publisher.acked >= plan.length / 5, 60_000, 'a fifth of the readings')
      await stack.vm.stop()
      let maxSpooled = 0
      const until = Date.now() + OUTAGE_S * 1000
      while (Date.now() < until) {
        maxSpooled = Math.max(maxSpooled, (await stack.detector.counters()).spoolPoints)
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      assert.ok(maxSpooled > 0, 'points were spooled to disk while the DB was down')
      const health = await (await fetch(`${stack.detector.httpUrl}/healthz`)).json() as { influx: { state: string } }
      assert.equal(health.influx.state, 'failing')
      await stack.vm.restart()
      await publisher.done
      t.diagnostic(`most points spooled: ${maxSpooled}`)
      const c = await checkAccount(t, stack, plan, { minEvents: 20 })
      assert.equal(c.spoolPoints, 0, 'the spool is empty again')
    })
  }
})

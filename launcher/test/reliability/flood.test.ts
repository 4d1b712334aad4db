import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { BROKERS, checkAccount, machineIds, publishReadings, readingPlan, startStack } from './harness.js'

const MACHINES = 50_000
const MAX_MACHINES = 1000

async function rssMb (pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024
}

// Scenario 6: 50,000 distinct machine ids, one reading each, into a detector that tracks at most 1,000.
// The machine table stays at its bound, the least recently seen are evicted and that is logged, and
// every reading is still scored and stored.
describe('reliability: flood of machine ids', () => {
  // The bound is the detector's: one broker (the faster) keeps the suite short.
  for (const kind of BROKERS.filter((b) => b === 'mosquitto')) {
    test(`${kind}: ${MACHINES} machine ids, at most ${MAX_MACHINES} tracked, evictions logged, every reading scored`, { timeout: 180_000 }, async (t) => {
      const stack = await startStack(t, kind, { name: 'flood', durable: false, detectorArgs: ['--max-machines', String(MAX_MACHINES), '--publish-rejected=false'] })
      const rssBefore = await rssMb(stack.detector.pid())
      const plan = readingPlan(machineIds('flood-', MACHINES), 1)
      const publisher = publishReadings(stack.broker.url, plan, { clientId: `rel-flood-sensors-${kind}`, window: 500 })
      t.after(() => publisher.client.endAsync(true))
      await publisher.done
      const c = await checkAccount(t, stack, plan)
      assert.equal(c.scored, MACHINES)
      assert.equal(c.machines, MAX_MACHINES, 'the machine table stays at its bound')
      assert.equal(c.evicted, MACHINES - MAX_MACHINES, 'every machine beyond the bound evicted one')
      assert.match(stack.detector.output(), /tracking too many machines: forgot the least recently seen/, 'eviction logged')
      // Memory is measured by the soak benchmark; here it is only reported.
      t.diagnostic(`detector RSS ${rssBefore.toFixed(0)} MB before, ${(await rssMb(stack.detector.pid())).toFixed(0)} MB after`)
    })
  }
})

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { eventually } from '@factory-edge/test-support/wait'
import { BROKERS, checkAccount, durableOptions, machineIds, publishReadings, readingPlan, settledCounters, startStack } from './harness.js'

// Scenario 3: the detector is SIGKILLed mid-stream, while the DB is down (so it is spooling), and
// restarted. Its persistent session holds the readings published meanwhile; the spool files it left
// are complete and are replayed by the new process. The points still in memory at the kill were
// journalled before their readings were acknowledged, so the new process replays them too.

describe('reliability: detector SIGKILL and restart', () => {
  for (const kind of BROKERS) {
    test(`${kind}: backlog delivered by the persistent session, spool on disk intact, nothing lost`, { timeout: 120_000, ...durableOptions(kind) }, async (t) => {
      const stack = await startStack(t, kind, { name: 'detector-kill' })
      const plan = readingPlan(machineIds('lathe-', 10), 150)
      const publisher = publishReadings(stack.broker.url, plan, { clientId: `rel-detector-kill-sensors-${kind}`, ratePerSec: plan.length / 6 })
      t.after(() => publisher.client.endAsync(true))
      await eventually(() => publisher.acked >= plan.length / 4, 60_000, 'a quarter of the readings')
      await stack.vm.stop()
      await eventually(async () => (await stack.detector.counters()).spoolPoints > 0, 30_000, 'points spooled')
      await stack.detector.kill()
      const files = (await readdir(stack.spoolDir)).sort()
      assert.ok(files.some((f) => /^\d{16}\.lp$/.test(f)), 'spool batches on disk')
      // A batch is written to a .tmp file and renamed: a kill mid-write leaves at most that .tmp, never a half batch.
      assert.deepEqual(files.filter((f) => !/^(journal-)?\d{16}\.lp(\.tmp)?$/.test(f)), [], 'no half-written batch (only complete, renamed files, the journal, a batch still being written)')
      const ackedAtKill = publisher.acked
      await new Promise((resolve) => setTimeout(resolve, 1000))
      assert.ok(publisher.acked > ackedAtKill, 'readings published while the detector was down')
      await stack.vm.restart()
      await stack.detector.restart()
      await publisher.done
      // The new process counts only what it received: the backlog and the rest of the stream.
      const c = await settledCounters(stack.detector.counters, plan.length - ackedAtKill, 20_000)
      assert.ok(c.messages >= plan.length - ackedAtKill, `the backlog and the rest of the stream reached the new process: ${JSON.stringify(c)}`)
      assert.equal(c.messages, c.scored + c.duplicates + c.late + c.rejectedTotal, 'every message the new process got is counted once')
      assert.equal(c.rejectedTotal, 0)
      assert.equal(c.spoolPoints, 0, 'the spool left by the killed process is replayed')
      assert.deepEqual((await readdir(stack.spoolDir)).filter((f) => f.endsWith('.tmp')), [], 'and a batch the kill cut short is gone')
      // Every reading, whichever process scored it, and every event are in the DB. Each machine's
      // anomalous stretch raises (in one process or the other); its clear can be missing when the kill
      // fell between the raise and the clear, since the new process does not know of the old alert
      // (docs/reliability.md), so only the raises are counted on.
      await checkAccount(t, stack, plan, { minEvents: 10, counters: c })
    })
  }
})

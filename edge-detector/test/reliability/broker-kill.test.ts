import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { writeTestModel } from '../helpers/readings.js'
import { eventually, startVictoriaMetrics, tempDir } from '../helpers/services.js'
import {
  BROKERS, assertAccount, formatAccount, machineIds, missingFromDb, publishReadings, readingPlan, recordAnomalies, settledCounters,
  startDetectorProcess, startBroker, waitForDb
} from './harness.js'

// Scenario 1: the broker is SIGKILLed mid-stream and restarted on the same port and store. Publisher,
// detector and anomaly subscriber all hold persistent QoS 1 sessions, so every reading arrives (some
// twice: those whose PUBACK the kill swallowed, or that the restored store still held) and every
// anomaly event reaches the DB. After the restart the broker's backlog and the publisher's resends
// interleave, so a few readings arrive out of order: they are stored but not scored (late).
describe('reliability: broker SIGKILL mid-stream and restart', { concurrency: false }, () => {
  for (const kind of BROKERS.filter((b) => process.env.REL_BROKER === undefined || b === process.env.REL_BROKER)) {
    test(`${kind}: no reading lost, redeliveries dropped as duplicates, every event in the DB`, { timeout: 120_000 }, async (t) => {
      const dir = await tempDir('rel-broker-kill-')
      t.after(() => dir.cleanup())
      const vm = await startVictoriaMetrics()
      t.after(async () => { await vm.stop(); await vm.cleanup() })
      const broker = await startBroker(kind)
      t.after(async () => { await broker.stop(); await broker.cleanup() })
      const modelPath = join(dir.dir, 'model.json')
      await writeTestModel(modelPath)
      const detector = await startDetectorProcess({ brokerUrl: broker.url, modelPath, influxUrl: vm.url, spoolDir: join(dir.dir, 'spool'), clientId: `rel-detector-${kind}` })
      t.after(() => detector.stop())
      const anomalies = await recordAnomalies(broker.url, `rel-anomalies-${kind}`)
      t.after(() => anomalies.close())

      // Mosquitto saves its store every second (autosave_interval 1): a session younger than that dies with it.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const plan = readingPlan(machineIds('press-', 20), 120)
      const publisher = publishReadings(broker.url, plan, { clientId: `rel-sensors-${kind}` })
      t.after(() => publisher.client.endAsync(true))
      await eventually(() => publisher.acked >= plan.length / 3, 60_000, 'a third of the readings acknowledged')
      const atKill = { published: publisher.published, acked: publisher.acked, scored: (await detector.counters()).scored }
      await broker.kill()
      await new Promise((resolve) => setTimeout(resolve, 500))
      await broker.restart()
      await publisher.done
      assert.equal(publisher.failed, 0)

      const c = await settledCounters(detector.counters, plan.length, 20_000)
      const account = formatAccount(plan.length, c)
      t.diagnostic(account)

      await eventually(() => anomalies.events.size >= 40, 30_000, 'an event raised and cleared per machine')
      const db = await waitForDb(vm.url, plan.length)
      const missing = missingFromDb(plan, db, anomalies.events)
      if (missing.readings > 0) {
        const idx = plan.map((r, i) => db.readings.get(r.machineId)?.has(r.ts) === true ? -1 : i).filter((i) => i >= 0)
        t.diagnostic(detector.output().split('\n').filter((l) => !l.includes('"anomaly ')).slice(-15).join('\n'))
        t.diagnostic(`at kill ${JSON.stringify(atKill)}; missing plan indices ${idx[0]}..${idx[idx.length - 1]} (${idx.length})`)
      }
      assert.equal(missing.readings, 0, `readings missing from the DB; ${account}`)
      assert.deepEqual(missing.events, [], 'anomaly events missing from the DB')
      assertAccount(plan.length, c)
    })
  }
})

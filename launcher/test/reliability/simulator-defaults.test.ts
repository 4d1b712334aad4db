import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startProcess } from '@factory-edge/test-support/child-process'
import { writeTestModel } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { BROKERS, settledCounters, type BrokerKind } from './harness.js'
import { startBroker } from './brokers.js'
import { startDetectorProcess } from './detector-process.js'

// The simulator with its default settings publishes telemetry that survives a detector restart: the
// detector's persistent session keeps QoS 1 readings (MQTT 3.1.1 [MQTT-3.1.2-5]); QoS 0 ones "MAY" be
// kept, and neither broker does. `--qos 0` is the contrast that shows the check can fail.

const SIMULATOR_BIN = fileURLToPath(new URL('../../../../sensor-simulator/dist/src/bin/sensor-simulator.js', import.meta.url))
const PUBLISH_MS = 4000

interface FinalCounts { readings: number, published: number, dropped: number, lost: number }

/** Runs `sensor-simulator` with no settings but the broker (and `extra`) for PUBLISH_MS, then stops it; its final counts. */
async function runSimulator (brokerUrl: string, extra: string[] = []): Promise<FinalCounts> {
  const sim = await startProcess(process.execPath, [SIMULATOR_BIN, '--broker-url', brokerUrl, '--log-format', 'json', ...extra], (out) => out.includes('simulator started'))
  await new Promise((resolve) => setTimeout(resolve, PUBLISH_MS))
  assert.equal(await sim.stop(), 0, sim.output())
  const line = sim.output().split('\n').find((l) => l.includes('"final counts"'))
  assert.ok(line !== undefined, sim.output())
  return JSON.parse(line) as FinalCounts
}

async function restartScenario (t: { after: (fn: () => Promise<unknown>) => void }, kind: BrokerKind, name: string, simulatorArgs: string[]): Promise<{ sent: FinalCounts, received: number }> {
  const dir = await tempDir(`rel-${name}-`)
  t.after(() => dir.cleanup())
  const broker = await startBroker(kind)
  t.after(async () => { await broker.stop(); await broker.cleanup() })
  const modelPath = join(dir.dir, 'model.json')
  await writeTestModel(modelPath)
  const detector = await startDetectorProcess({ brokerUrl: broker.url, modelPath, spoolDir: join(dir.dir, 'spool'), clientId: `rel-${name}-${kind}` })
  t.after(() => detector.stop())
  // Mosquitto snapshots its store at most once a second: let the detector's session reach it.
  if (kind === 'mosquitto') await new Promise((resolve) => setTimeout(resolve, 1500))
  await detector.stop()
  const sent = await runSimulator(broker.url, simulatorArgs)
  assert.ok(sent.readings >= 10, `readings published: ${JSON.stringify(sent)}`)
  await detector.restart()
  const c = await settledCounters(detector.counters, sent.readings, 10_000)
  assert.equal(c.rejectedTotal, 0)
  // Redeliveries (QoS 1 is at least once) are counted as duplicates; every distinct reading once.
  return { sent, received: c.scored + c.late }
}

describe('reliability: a detector restart under the simulator\'s default settings', () => {
  for (const kind of BROKERS) {
    test(`${kind}: every reading published while the detector was down reaches it when it is back`, { timeout: 60_000 }, async (t) => {
      const { sent, received } = await restartScenario(t, kind, 'sim-defaults', [])
      assert.deepEqual({ dropped: sent.dropped, lost: sent.lost }, { dropped: 0, lost: 0 })
      assert.equal(received, sent.readings)
    })
  }

  test('aedes: with --qos 0 (the documented trade-off) the readings of that time are lost', { timeout: 60_000 }, async (t) => {
    const { sent, received } = await restartScenario(t, 'aedes', 'sim-qos0', ['--qos', '0'])
    assert.ok(sent.readings >= 10)
    assert.equal(received, 0)
  })
})

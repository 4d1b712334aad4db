import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { Telemetry } from '@factory-edge/shared/contract'
import { writeTestModel } from '@factory-edge/test-support/readings'
import { type ExternalServer } from '@factory-edge/test-support/server-process'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { startVictoriaMetrics } from '@factory-edge/test-support/victoria-metrics'
import { eventually } from '@factory-edge/test-support/wait'
import { assertAccount, formatAccount, missingFromDb, waitForDb } from './account.js'
import { passwordOf, startBroker, writeAuthFiles, type BrokerKind } from './brokers.js'
import { settledCounters, startDetectorProcess, type Counters, type DetectorProcess } from './detector-process.js'
import { recordAnomalies } from './traffic.js'

/**
 * What every scenario of the reliability suite starts and ends with: the whole stack (VictoriaMetrics,
 * a broker, the detector process, an anomaly recorder) and the check of its account. The parts live in
 * brokers.ts, detector-process.ts, traffic.ts and account.ts; the scenarios' imports come from here.
 */

export { BROKERS, passwordOf, type BrokerKind } from './brokers.js'
export { settledCounters, type Counters } from './detector-process.js'
export { machineIds, publishMessages, publishReadings, readingPlan, telemetryMessage } from './traffic.js'

/** The parts of one scenario, all started on free ports in temp dirs and stopped by `t.after`. */
export interface Stack {
  dir: string
  vm: ExternalServer
  broker: ExternalServer
  detector: DetectorProcess
  anomalies: { events: Set<string>, close: () => Promise<void> }
  modelPath: string
  spoolDir: string
}

interface TestContextLike {
  after: (fn: () => Promise<unknown> | unknown) => void
  diagnostic: (message: string) => void
  name: string
}

/** Test options of a scenario that needs durable broker sessions (a known gap, when given, makes it TODO). */
export function durableOptions (_kind: BrokerKind, otherTodo?: string): { todo?: string } {
  return otherTodo === undefined ? {} : { todo: otherTodo }
}

/** VictoriaMetrics, a broker of `kind`, a model, the detector process and an anomaly recorder. */
export async function startStack (t: TestContextLike, kind: BrokerKind, options: { name: string, durable?: boolean, maxPacketSize?: number, detectorArgs?: string[], auth?: boolean, brokerHttpPort?: number }): Promise<Stack> {
  const dir = await tempDir(`rel-${options.name}-`)
  t.after(() => dir.cleanup())
  const vm = await startVictoriaMetrics()
  t.after(async () => { await vm.stop(); await vm.cleanup() })
  const auth = options.auth === true ? await writeAuthFiles(dir.dir) : undefined
  const login = (user: string): { username?: string, password?: string } => auth === undefined ? {} : { username: user, password: passwordOf(user) }
  const broker = await startBroker(kind, { durable: options.durable, maxPacketSize: options.maxPacketSize, auth, httpPort: options.brokerHttpPort })
  t.after(async () => { await broker.stop(); await broker.cleanup() })
  const modelPath = join(dir.dir, 'model.json')
  await writeTestModel(modelPath)
  const spoolDir = join(dir.dir, 'spool')
  const detector = await startDetectorProcess({ brokerUrl: broker.url, modelPath, influxUrl: vm.url, spoolDir, clientId: `rel-${options.name}-${kind}`, args: [...options.detectorArgs ?? [], ...auth === undefined ? [] : ['--username', 'detector', '--password', passwordOf('detector')]] })
  t.after(() => detector.stop())
  const anomalies = await recordAnomalies(broker.url, `rel-${options.name}-anomalies-${kind}`, login('dashboard'))
  t.after(() => anomalies.close())
  // Mosquitto snapshots its store (here after every change, at most once a second): let the sessions reach it.
  if (kind === 'mosquitto' && options.durable !== false) await new Promise((resolve) => setTimeout(resolve, 1500))
  return { dir: dir.dir, vm, broker, detector, anomalies, modelPath, spoolDir }
}

/**
 * Ends a scenario with its account: the detector's counters settle, each reading of `plan` is scored,
 * late or rejected exactly as {@link assertAccount} requires, and every reading and every anomaly event
 * published on MQTT is in VictoriaMetrics.
 */
export async function checkAccount (t: TestContextLike, stack: Stack, plan: readonly Telemetry[], options: { published?: number, rejected?: number, minEvents?: number, counters?: Counters, brokerMayLose?: number } = {}): Promise<Counters> {
  const published = options.published ?? plan.length
  const brokerMayLose = options.brokerMayLose ?? 0
  // A detector restarted mid-run counts only what the new process received: the DB is then the account.
  const c = options.counters ?? await settledCounters(stack.detector.counters, published, 20_000)
  t.diagnostic(formatAccount(published, c))
  if (options.counters === undefined) assertAccount(published, c, options.rejected ?? 0, brokerMayLose)
  const minEvents = options.minEvents ?? 0
  await eventually(() => stack.anomalies.events.size >= minEvents, 30_000, `${minEvents} anomaly events`)
  const db = await waitForDb(stack.vm.url, new Set(plan.map((r) => `${r.machineId}|${r.ts}`)).size)
  const missing = missingFromDb(plan, db, stack.anomalies.events)
  assert.ok(missing.readings <= brokerMayLose, `${missing.readings} readings missing from the DB; ${formatAccount(published, c)}`)
  if (missing.readings > 0) t.diagnostic(`${missing.readings} readings acknowledged by the broker never reached the detector (lost in the broker's crash)`)
  assert.deepEqual(missing.events, [], 'anomaly events missing from the DB')
  return c
}

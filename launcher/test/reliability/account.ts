import assert from 'node:assert/strict'
import type { Telemetry } from '@factory-edge/shared/contract'
import { exportSeries } from '@factory-edge/test-support/victoria-metrics'
import type { Counters } from './detector-process.js'

// The account of a run: what the detector counted, and what VictoriaMetrics holds.

/** What VictoriaMetrics holds: per machine, the distinct reading timestamps; and the anomaly events. */
export interface DbAccount {
  readings: Map<string, Set<number>>
  readingCount: number
  events: Set<string>
}

/** Reads back what the detector wrote. */
export async function dbAccount (vmUrl: string): Promise<DbAccount> {
  const readings = new Map<string, Set<number>>()
  for (const series of await exportSeries(vmUrl, '{__name__="telemetry_rpm"}')) {
    const id = series.metric.machine
    const set = readings.get(id) ?? new Set<number>()
    for (const ts of series.timestamps) set.add(ts)
    readings.set(id, set)
  }
  const events = new Set<string>()
  for (const series of await exportSeries(vmUrl, '{__name__="anomaly_event_score"}')) {
    for (const ts of series.timestamps) events.add(`${series.metric.machine}|${ts}|${series.metric.state}`)
  }
  let readingCount = 0
  for (const set of readings.values()) readingCount += set.size
  return { readings, readingCount, events }
}

/**
 * Polls the DB until it holds `readings` readings, or its count has not moved for `quietMs` (what is
 * missing then is not coming), then returns what it holds. The quiet time is long because on a loaded
 * machine VictoriaMetrics can stall for seconds while it registers many new series (the flood of 50,000
 * machine ids once returned a third short after a 4 s pause).
 */
export async function waitForDb (vmUrl: string, readings: number, timeoutMs = 60_000, quietMs = 10_000): Promise<DbAccount> {
  const deadline = Date.now() + timeoutMs
  let last = await dbAccount(vmUrl)
  let movedAt = Date.now()
  while (last.readingCount < readings && Date.now() < deadline && Date.now() - movedAt < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    const now = await dbAccount(vmUrl)
    if (now.readingCount !== last.readingCount) movedAt = Date.now()
    last = now
  }
  return last
}

/** Every reading of `plan` is in the DB, and every anomaly event seen on MQTT is too. Returns missing counts for the message. */
export function missingFromDb (plan: readonly Telemetry[], db: DbAccount, events: Set<string>): { readings: number, events: string[] } {
  let readings = 0
  for (const r of plan) if (db.readings.get(r.machineId)?.has(r.ts) !== true) readings++
  return { readings, events: [...events].filter((e) => !db.events.has(e)) }
}

/** A one-line account, for test names and failure messages. */
export function formatAccount (published: number, c: Counters): string {
  return `published ${published} = scored ${c.scored} + rejected ${c.rejectedTotal} ${JSON.stringify(c.rejected)}; duplicates dropped ${c.duplicates}; late ${c.late}`
}

/**
 * The exact account of a run in which every reading was delivered at least once: each reading is
 * scored, rejected, or (first delivered out of order) late; every further delivery is a duplicate or a
 * late copy. A reading is scored at most once (its sequence number is then behind the machine's), so
 * published - scored - rejected readings were late on first delivery, and the rest of `late` are copies.
 */
export function assertAccount (published: number, c: Counters, rejected = 0, brokerMayLose = 0): { lateFirst: number, redelivered: number } {
  const account = formatAccount(published, c)
  assert.equal(c.rejectedTotal, rejected, account)
  assert.equal(c.messages, c.scored + c.rejectedTotal + c.duplicates + c.late, `every message counted once: ${account}`)
  const lateFirst = published - c.scored - c.rejectedTotal
  // Readings beyond `late` never reached the detector: only a broker that may lose some explains them.
  assert.ok(lateFirst >= 0 && lateFirst - c.late <= brokerMayLose, `readings neither scored, rejected nor late: ${account}`)
  return { lateFirst, redelivered: c.messages - published }
}

import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { machineTopic } from '@factory-edge/shared/contract'
import { createLogger, type Logger } from '@factory-edge/shared/runtime'
import { MqttLink, type ConnectionOptions } from '../mqtt/link.js'
import { encodeStatus, encodeTruth } from '../payload.js'
import { openReplayFile, type BadRow, type ReplayRecord, type SignalColumns } from './sources.js'
import type { FlatTelemetry } from '../machine-base.js'
import { ReorderBuffer } from './reorder.js'
import type { ReplayPosition } from './progress.js'
import { SIMULATOR_DEFAULTS } from '../defaults.js'

/** Options of replayFile; each default is in `SIMULATOR_DEFAULTS.replay` (and the connection ones in SIMULATOR_DEFAULTS). */
export interface ReplayOptions extends ConnectionOptions, SignalColumns {
  file: string
  /** Times real time; 0 = as fast as possible. */
  speed?: number
  /** Files without a machine column: machine id of the rows (AI4I default ai4i-1, other CSV the file's name); files with one: only this machine. */
  machine?: string
  /** Files without a time column (AI4I): milliseconds between rows. */
  intervalMs?: number
  /** Publish the recorded timestamps; by default they are shifted so the first reading is now. */
  originalTimestamps?: boolean
  loop?: boolean
  topicPrefix?: string
  clientId?: string
  queueLimit?: number
  /** Records held to restore time order in a roughly ordered recording. */
  reorderWindow?: number
  logger?: Logger
  /** Aborting stops the replay after the row being sent; replayFile then resolves with the counts so far. */
  signal?: AbortSignal
  /** Called after every row sent or skipped, for progress reports. */
  onPosition?: (position: ReplayPosition) => void
}

export interface ReplayResult {
  format: string
  published: number
  /** Rows that could not be used (each logged with its line and reason). */
  bad: number
  /** Readings that arrived more than the reorder window late and went out late. */
  outOfOrder: number
  truthEvents: number
  machines: number
  dropped: number
  durationMs: number
}

const BAD_LOG_LIMIT = 20

/** Streams a replay file through MQTT in time order, paced by its timestamps. */
export async function replayFile (options: ReplayOptions): Promise<ReplayResult> {
  const logger = options.logger ?? createLogger('sensor-simulator')
  let bad = 0
  let published = 0
  let pass = 1
  /** Line of the row last sent: rows are read up to the reorder window ahead of being sent. */
  let line = 0
  const onBad = (row: BadRow): void => {
    bad++
    options.onPosition?.({ sent: published, skipped: bad, line, pass })
    if (bad <= BAD_LOG_LIMIT) logger.warn({ file: options.file, line: row.line, reason: row.reason }, 'skipping a bad row')
    else if (bad === BAD_LOG_LIMIT + 1) logger.warn('more bad rows: no longer logging each one (see the final count)')
  }
  const intervalMs = options.intervalMs ?? SIMULATOR_DEFAULTS.replay.intervalMs
  const source = await openReplayFile(options.file, { machine: options.machine, intervalMs, onBad, timestampColumn: options.timestampColumn, machineColumn: options.machineColumn, columns: options.columns })
  const format = source.format
  const speed = options.speed ?? SIMULATOR_DEFAULTS.replay.speed
  const prefix = options.topicPrefix ?? SIMULATOR_DEFAULTS.topicPrefix
  const seen = new Set<string>()
  const link = new MqttLink({
    ...options,
    clientId: options.clientId ?? `${SIMULATOR_DEFAULTS.replay.clientIdPrefix}-${randomBytes(4).toString('hex')}`,
    queueLimit: options.queueLimit ?? SIMULATOR_DEFAULTS.queueLimit,
    logger,
    onConnect: () => {
      const ts = Date.now()
      for (const id of seen) link.publishRetained(machineTopic('status', id, prefix), encodeStatus(id, 'online', ts))
    }
  })
  await link.waitConnected(SIMULATOR_DEFAULTS.connectWaitMs, options.signal).catch((err: Error) => logger.warn({ err: err.message }, 'broker not reachable yet: replaying anyway, readings are queued until it is'))
  const signals = source.signals === undefined ? {} : { signals: source.signals, ...(source.ignored?.length === 0 ? {} : { ignoredColumns: source.ignored }), ...(source.machine === undefined ? {} : { machine: source.machine }) }
  logger.info({ file: options.file, format, speed, ...signals }, 'replay started')

  let outOfOrder = 0
  let truthEvents = 0
  const started = performance.now()
  const wallStart = Date.now()
  /** Timestamp shift and sequence offset of the current pass (loops continue where the last pass ended). */
  let tsShift = 0
  let seqShift = 0
  let firstTs: number | undefined
  let lastPublishedTs = -Infinity
  /** Active AI4I failures per machine and mode, to end them on the next row. */
  const open = new Map<string, Set<string>>()

  const publish = async (rec: ReplayRecord): Promise<void> => {
    const t = rec.telemetry
    firstTs ??= t.ts
    if (t.ts + tsShift < lastPublishedTs) outOfOrder++
    lastPublishedTs = Math.max(lastPublishedTs, t.ts + tsShift)
    if (speed > 0) {
      const due = started + (t.ts - firstTs + tsShift) / speed
      const wait = due - performance.now()
      if (wait > 1) await sleep(wait, undefined, { signal: options.signal }).catch(() => {})
    } else if (published % 1000 === 0) {
      await new Promise((resolve) => setImmediate(resolve))
    }
    if (options.signal?.aborted === true) return
    const out: FlatTelemetry = { ...t, ts: options.originalTimestamps === true ? t.ts + tsShift : wallStart + (t.ts - firstTs) + tsShift, seq: t.seq + seqShift }
    if (!seen.has(out.machineId)) {
      seen.add(out.machineId)
      link.publishRetained(machineTopic('status', out.machineId, prefix), encodeStatus(out.machineId, 'online', Date.now()))
    }
    publishTruth(out, rec.failures)
    link.publish(machineTopic('telemetry', out.machineId, prefix), JSON.stringify(out))
    published++
    line = rec.line
    options.onPosition?.({ sent: published, skipped: bad, line, pass })
  }

  const publishTruth = (t: FlatTelemetry, failures: string[]): void => {
    const active = open.get(t.machineId) ?? new Set<string>()
    for (const mode of active) {
      if (failures.includes(mode)) continue
      link.publishReliable(machineTopic('truth', t.machineId, prefix), encodeTruth({ machineId: t.machineId, ts: t.ts, seq: t.seq, kind: 'failure', mode, phase: 'end' }))
      active.delete(mode)
      truthEvents++
    }
    for (const mode of failures) {
      if (active.has(mode)) continue
      link.publishReliable(machineTopic('truth', t.machineId, prefix), encodeTruth({ machineId: t.machineId, ts: t.ts, seq: t.seq, kind: 'failure', mode, phase: 'start' }))
      active.add(mode)
      truthEvents++
    }
    open.set(t.machineId, active)
  }

  try {
    do {
      const buffer = new ReorderBuffer<ReplayRecord>(options.reorderWindow ?? SIMULATOR_DEFAULTS.replay.reorderWindow)
      let passLast = -Infinity
      let passFirst: number | undefined
      let maxSeq = 0
      for await (const rec of source.records()) {
        if (options.signal?.aborted === true) break
        passFirst ??= rec.telemetry.ts
        passLast = Math.max(passLast, rec.telemetry.ts)
        maxSeq = Math.max(maxSeq, rec.telemetry.seq)
        const ready = buffer.push(rec)
        if (ready !== undefined) await publish(ready)
      }
      for (let rec = buffer.pop(); rec !== undefined && options.signal?.aborted !== true; rec = buffer.pop()) await publish(rec)
      if (passFirst === undefined) break
      tsShift += passLast - passFirst + intervalMs
      seqShift += maxSeq + 1
      pass++
    } while (options.loop === true && options.signal?.aborted !== true)
  } finally {
    const ts = Date.now()
    await link.close([...seen].map((id) => ({ topic: machineTopic('status', id, prefix), payload: encodeStatus(id, 'offline', ts) })))
  }
  if (bad > 0) logger.warn({ file: options.file, bad }, 'rows skipped')
  return { format, published, bad, outOfOrder, truthEvents, machines: seen.size, dropped: link.dropped, durationMs: Math.round(performance.now() - started) }
}

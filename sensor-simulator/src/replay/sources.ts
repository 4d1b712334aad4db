import { basename, extname } from 'node:path'
import { decodeTelemetry, isMachineId, telemetryOf } from '@factory-edge/shared/contract'
import {
  failureModesOf, matchColumns, openCsvRecords, openDataFile, openSignalCsv, REQUIRED_ROLES, sniffDataFile,
  type DataFile, type DataFileOptions, type DataRecord, type FileFormat
} from '@factory-edge/shared/data'
import type { FlatTelemetry } from '../machine-base.js'
import { SIMULATOR_DEFAULTS } from '../defaults.js'

/** One row of a replay file, ready to publish, with the AI4I failure modes it is labelled with. */
export interface ReplayRecord {
  telemetry: FlatTelemetry
  failures: string[]
  /** Line of the file, for messages. */
  line: number
}

/** A row that could not be used: where, and why. */
export interface BadRow {
  line: number
  reason: string
}

/** How a time-series CSV that is not AI4I-shaped is read (see openSignalCsv). */
export interface SignalColumns {
  timestampColumn?: string
  machineColumn?: string
  /** `header` or `header=name`: the signal columns to replay, renamed. */
  columns?: readonly string[]
}

export interface ReadOptions extends SignalColumns {
  /** Files without a machine column: the machine id of every row; files with one: keep only this machine. */
  machine?: string
  /** Files without a time column (AI4I): milliseconds between rows. */
  intervalMs: number
  onBad: (bad: BadRow) => void
}

/** Machine id of the rows of an AI4I file, unless `machine` names one. */
export const DEFAULT_REPLAY_MACHINE = SIMULATOR_DEFAULTS.replay.machine

/** What a replay file holds: AI4I-shaped CSV, recorded telemetry NDJSON, or any time-series CSV. */
export type ReplayFormat = FileFormat | 'signal-csv'

/** A replay file whose header has been accepted. */
export interface ReplaySource {
  format: ReplayFormat
  /** Signals of a time-series CSV, and the columns it leaves out (for the start log line). */
  signals?: readonly string[]
  ignored?: readonly string[]
  /** The machine id of a time-series CSV without a machine column. */
  machine?: string
  /** The file's usable rows in file order, read anew on each call (one call per replay pass). */
  records: () => AsyncGenerator<ReplayRecord>
}

/**
 * Opens a replay file. AI4I 2020 and its variants, telemetry CSV and NDJSON go through the reader that
 * training uses, exactly as before; any other CSV (or one given timestamp, machine or signal columns)
 * is read as a time series. The header is checked now, so a file that cannot be replayed fails before
 * anything connects.
 */
export async function openReplayFile (path: string, options: ReadOptions): Promise<ReplaySource> {
  const generic = options.timestampColumn !== undefined || options.machineColumn !== undefined || options.columns !== undefined
  if (generic || !(await isAi4iShaped(path))) return await openSignalSource(path, options)
  const dataOptions: DataFileOptions = {
    machineId: options.machine ?? DEFAULT_REPLAY_MACHINE,
    intervalMs: options.intervalMs,
    onBad: (line, reason) => options.onBad({ line, reason })
  }
  let opened: DataFile | undefined = await openDataFile(path, dataOptions)
  const format = opened.format
  async function * records (): AsyncGenerator<ReplayRecord> {
    const file = opened ?? await openDataFile(path, dataOptions)
    opened = undefined
    for await (const r of file.records()) {
      if (options.machine !== undefined && r.machineId !== options.machine) continue
      const out = toReplayRecord(r)
      if (typeof out === 'string') options.onBad({ line: r.line, reason: out })
      else yield out
    }
  }
  return { format, records }
}

/** True for NDJSON and for a CSV whose header has the AI4I reading columns (what the training reader takes). */
async function isAi4iShaped (path: string): Promise<boolean> {
  const { format } = await sniffDataFile(path)
  if (format === 'ndjson') return true
  const csv = openCsvRecords(path)
  try {
    const head = await csv.next()
    if (head === undefined) return true
    const found = matchColumns(head.record)
    return REQUIRED_ROLES.every((role) => found[role] !== undefined)
  } finally {
    csv.close()
  }
}

/** The machine id of a file without a machine column: its name, as far as it makes an id. */
export function machineIdOfFile (path: string): string {
  const name = basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64)
  return isMachineId(name) ? name : DEFAULT_REPLAY_MACHINE
}

async function openSignalSource (path: string, options: ReadOptions): Promise<ReplaySource> {
  const machine = options.machine ?? machineIdOfFile(path)
  const open = async (): Promise<ReturnType<typeof openSignalCsv>> => await openSignalCsv(path, {
    timestampColumn: options.timestampColumn,
    machineColumn: options.machineColumn,
    columns: options.columns,
    machineId: machine,
    onBad: (line, reason) => options.onBad({ line, reason })
  })
  let opened: Awaited<ReturnType<typeof openSignalCsv>> | undefined = await open()
  const { signals, ignored, machineColumn } = opened
  async function * records (): AsyncGenerator<ReplayRecord> {
    const file = opened ?? await open()
    opened = undefined
    for await (const r of file.records()) {
      if (machineColumn !== undefined && options.machine !== undefined && r.telemetry.machineId !== options.machine) continue
      yield { telemetry: r.telemetry, failures: [], line: r.line }
    }
  }
  return { format: 'signal-csv', signals, ignored, machine: machineColumn === undefined ? machine : undefined, records }
}

function toReplayRecord (r: DataRecord): ReplayRecord | string {
  const telemetry = telemetryOf(r.machineId, r)
  // What goes out must be what the detector accepts (machine id, ranges): the same decoder decides.
  const decoded = decodeTelemetry(JSON.stringify(telemetry), r.machineId)
  if (!decoded.ok) return `${decoded.reason}: ${decoded.detail}`
  const failures: string[] = failureModesOf(r.modes)
  if (failures.length === 0 && r.label === 1) failures.push('unspecified')
  return { telemetry: decoded.value as unknown as FlatTelemetry, failures, line: r.line }
}

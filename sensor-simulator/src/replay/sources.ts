import { decodeTelemetry, telemetryOf, type Telemetry } from '@factory-edge/shared/contract'
import { failureModesOf, openDataFile, type DataFile, type DataFileOptions, type DataRecord, type FileFormat } from '@factory-edge/shared/data'
import { SIMULATOR_DEFAULTS } from '../defaults.js'

/** One row of a replay file, ready to publish, with the AI4I failure modes it is labelled with. */
export interface ReplayRecord {
  telemetry: Telemetry
  failures: string[]
  /** Line of the file, for messages. */
  line: number
}

/** A row that could not be used: where, and why. */
export interface BadRow {
  line: number
  reason: string
}

export interface ReadOptions {
  /** Files without a machine column (AI4I): the machine id of every row; recordings: keep only this machine. */
  machine?: string
  /** Files without a time column (AI4I): milliseconds between rows. */
  intervalMs: number
  onBad: (bad: BadRow) => void
}

/** Machine id of the rows of a file that has none (AI4I), unless `machine` names one. */
export const DEFAULT_REPLAY_MACHINE = SIMULATOR_DEFAULTS.replay.machine

/** A replay file whose header has been accepted. */
export interface ReplaySource {
  format: FileFormat
  /** The file's usable rows in file order, read anew on each call (one call per replay pass). */
  records: () => AsyncGenerator<ReplayRecord>
}

/**
 * Opens a replay file with the reader that training uses (AI4I 2020 and its variants, telemetry CSV or
 * NDJSON). The header is checked now, so a file that cannot be replayed fails before anything connects.
 */
export async function openReplayFile (path: string, options: ReadOptions): Promise<ReplaySource> {
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

function toReplayRecord (r: DataRecord): ReplayRecord | string {
  const telemetry = telemetryOf(r.machineId, r)
  // What goes out must be what the detector accepts (machine id, ranges): the same decoder decides.
  const decoded = decodeTelemetry(JSON.stringify(telemetry), r.machineId)
  if (!decoded.ok) return `${decoded.reason}: ${decoded.detail}`
  const failures: string[] = failureModesOf(r.modes)
  if (failures.length === 0 && r.label === 1) failures.push('unspecified')
  return { telemetry: decoded.value, failures, line: r.line }
}

/**
 * Any time-series CSV: a timestamp column, numeric columns taken as signals by their header, and one
 * machine per file or a machine-id column. What historians and data loggers export; the AI4I-shaped
 * files keep their own reader (csv-rows.ts).
 */
import { isMachineId } from '../contract/topics.js'
import { DataError } from '../errors.js'
import { checkDelimiter } from './csv-rows.js'
import { openCsvRecords, type CsvRecord } from './csv-records.js'
import { eachOf } from './data-file.js'
import { sniffDataFile } from './sniff.js'
import { parseTimestamp } from './timestamp.js'

/** Header names (any case) taken as the timestamp column when none is named. */
export const TIMESTAMP_COLUMN_NAMES = ['ts', 'time', 'timestamp'] as const
/** Header names (any case, `_` and `-` ignored) taken as the machine-id column when none is named. */
export const MACHINE_COLUMN_NAMES = ['machineid', 'machine'] as const
/** Field names of the payload envelope: a signal cannot be called so. */
const ENVELOPE = new Set(['machineId', 'ts', 'seq'])

export interface SignalCsvOptions {
  /** Header of the timestamp column; default the first column named ts, time or timestamp. */
  timestampColumn?: string
  /** Header of the machine-id column; default a column named machineId or machine, if any. */
  machineColumn?: string
  /**
   * Signal columns to keep, `header` or `header=name` to rename; default every column other than the
   * timestamp, machine and `seq` columns whose first value is a number (an empty first value leaves the
   * column out).
   */
  columns?: readonly string[]
  /** Machine id of every row when the file has no machine column. */
  machineId: string
  /** Called with each row that cannot be used, which is then skipped. */
  onBad: (line: number, reason: string) => void
}

/** One usable row, as the flat telemetry payload a machine of its profile would publish. */
export interface SignalRecord {
  line: number
  /**
   * `machineId`, `ts`, `seq` (from the file's `seq` column, else the machine's count of usable rows so
   * far) and each signal the row has a value for (an empty cell leaves the signal out).
   */
  telemetry: SignalTelemetry
}

export type SignalTelemetry = { machineId: string, ts: number, seq: number } & Record<string, number | string>

/** A signal CSV whose header has been accepted. */
export interface SignalCsv {
  path: string
  timestampColumn: string
  machineColumn: string | undefined
  /** Payload name of each signal, in column order. */
  signals: readonly string[]
  /** Columns left out because their first value is not a number (text such as a status). */
  ignored: readonly string[]
  /** The usable rows in file order; bad ones go to `onBad`. Can be iterated once. */
  records: () => AsyncGenerator<SignalRecord>
  /** The same rows a part of the file at a time, the part's bad rows given to `onBad` first; this or {@link records}, once. */
  batches: () => AsyncGenerator<SignalRecord[]>
}

interface Column { index: number, header: string, name: string }

function normalise (header: string): string {
  return header.toLowerCase().replace(/[\s_-]/g, '')
}

function findColumn (header: readonly string[], name: string): number {
  const exact = header.indexOf(name)
  return exact !== -1 ? exact : header.findIndex((h) => h.toLowerCase() === name.toLowerCase())
}

function columnsFound (header: readonly string[]): string {
  return header.map((h) => JSON.stringify(h)).join(', ')
}

/**
 * True when the text of a cell is a number. An empty first cell does not make a signal: a column that is
 * empty at first is as often a label or a status text filled in later (name it in `columns` to read it).
 */
function numeric (text: string | undefined): boolean {
  return text !== undefined && text.trim() !== '' && Number.isFinite(Number(text))
}

/**
 * Opens a time-series CSV. The header (and the first row, which decides which columns are numeric when
 * `columns` is not given) is checked now: a file without a timestamp column or a named column is one
 * DataError naming the columns found.
 */
export async function openSignalCsv (path: string, options: SignalCsvOptions): Promise<SignalCsv> {
  const { format } = await sniffDataFile(path)
  if (format !== 'csv') throw new DataError(`${path} is not CSV: expected a header line of column names`)
  const csv = openCsvRecords(path)
  const head = await csv.next()
  if (head === undefined) throw new DataError(`${path} is empty: expected a CSV header line`)
  const header = head.record
  checkDelimiter(path, header)
  const tsIndex = options.timestampColumn !== undefined
    ? findColumn(header, options.timestampColumn)
    : header.findIndex((h) => (TIMESTAMP_COLUMN_NAMES as readonly string[]).includes(h.toLowerCase()))
  if (tsIndex === -1) {
    csv.close()
    const wanted = options.timestampColumn !== undefined ? `no timestamp column "${options.timestampColumn}"` : `no timestamp column (named ${TIMESTAMP_COLUMN_NAMES.join(', ')}, or given by name)`
    throw new DataError(`${path}: ${wanted}; columns found: ${columnsFound(header)}`)
  }
  let machineIndex = -1
  if (options.machineColumn !== undefined) {
    machineIndex = findColumn(header, options.machineColumn)
    if (machineIndex === -1) {
      csv.close()
      throw new DataError(`${path}: no machine column "${options.machineColumn}"; columns found: ${columnsFound(header)}`)
    }
  } else {
    machineIndex = header.findIndex((h) => (MACHINE_COLUMN_NAMES as readonly string[]).includes(normalise(h)))
  }
  const seqIndex = header.findIndex((h) => h.toLowerCase() === 'seq')
  // The first row decides which unnamed columns are numeric; it is read again as a row below.
  const first = await csv.next()
  const columns: Column[] = []
  const ignored: string[] = []
  if (options.columns !== undefined) {
    for (const spec of options.columns) {
      const [from, to = from] = spec.split('=').map((p) => p.trim())
      const index = findColumn(header, from)
      if (index === -1) {
        csv.close()
        throw new DataError(`${path}: no column "${from}" (from the columns to replay ${JSON.stringify(spec)}); columns found: ${columnsFound(header)}`)
      }
      columns.push({ index, header: header[index], name: to })
    }
  } else {
    header.forEach((h, index) => {
      if (index === tsIndex || index === machineIndex || index === seqIndex) return
      if (numeric(first?.record[index])) columns.push({ index, header: h, name: h })
      else ignored.push(h)
    })
  }
  for (const c of columns) {
    if (c.name === '' || ENVELOPE.has(c.name)) {
      csv.close()
      throw new DataError(`${path}: column "${c.header}" cannot be a signal named ${JSON.stringify(c.name)} (machineId, ts and seq are the payload's own fields; rename it, e.g. "${c.header}=value")`)
    }
  }
  if (columns.length === 0) {
    csv.close()
    throw new DataError(`${path}: no numeric column to take as a signal; columns found: ${columnsFound(header)}`)
  }
  const tsHeader = header[tsIndex]
  const machineHeader = machineIndex === -1 ? undefined : header[machineIndex]
  const bad = (line: number, reason: string): undefined => {
    options.onBad(line, reason)
    return undefined
  }
  const counts = new Map<string, number>()

  const read = ({ record, line }: CsvRecord): SignalRecord | undefined => {
    let machineId = options.machineId
    if (machineIndex !== -1) {
      machineId = record[machineIndex] ?? ''
      if (!isMachineId(machineId)) return bad(line, `column "${machineHeader ?? ''}": ${JSON.stringify(machineId.slice(0, 70))} is not a machine id (letters, digits, '-', '_' and '.', at most 64 characters)`)
    }
    const rawTs = record[tsIndex]
    if (rawTs === undefined) return bad(line, `has ${record.length} fields, too few for column "${tsHeader}"`)
    const ts = parseTimestamp(rawTs)
    if (ts === undefined) return bad(line, `column "${tsHeader}": ${JSON.stringify(rawTs.slice(0, 40))} is not a timestamp (ISO 8601, YYYY-MM-DD HH:MM:SS, epoch seconds or milliseconds)`)
    let seq = counts.get(machineId) ?? 0
    if (seqIndex !== -1) {
      const s = Number(record[seqIndex])
      if (!Number.isSafeInteger(s) || s < 0) return bad(line, `column "${header[seqIndex]}": ${JSON.stringify((record[seqIndex] ?? '').slice(0, 40))} is not a whole number of at least 0`)
      seq = s
    }
    const telemetry: SignalTelemetry = { machineId, ts, seq }
    let present = 0
    for (const c of columns) {
      const text = record[c.index]
      if (text === undefined || text === '') continue
      const v = Number(text)
      if (!Number.isFinite(v)) return bad(line, `column "${c.header}": ${JSON.stringify(text.slice(0, 40))} is not a number`)
      telemetry[c.name] = v
      present++
    }
    if (present === 0) return bad(line, 'has no value in any signal column')
    counts.set(machineId, (counts.get(machineId) ?? 0) + 1)
    return { line, telemetry }
  }

  async function * batches (): AsyncGenerator<SignalRecord[]> {
    try {
      for (let rows = first === undefined ? undefined : [first, ...await csv.nextBatch() ?? []]; rows !== undefined; rows = await csv.nextBatch()) {
        for (const u of csv.unreadable()) options.onBad(u.line, u.reason)
        const out: SignalRecord[] = []
        for (const row of rows) {
          const r = read(row)
          if (r !== undefined) out.push(r)
        }
        if (out.length > 0) yield out
      }
      for (const u of csv.unreadable()) options.onBad(u.line, u.reason)
    } finally {
      csv.close()
    }
  }
  return { path, timestampColumn: tsHeader, machineColumn: machineHeader, signals: columns.map((c) => c.name), ignored, records: () => eachOf(batches()), batches }
}

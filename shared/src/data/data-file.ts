import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { parse, CsvError } from 'csv-parse'
import { decodeTelemetry } from '../contract/decode.js'
import { CsvRows } from './csv-rows.js'
import { DataError } from '../errors.js'
import { sniffDataFile, type FileFormat } from './sniff.js'
import type { DataFileOptions, DataRecord } from './records.js'

/** A data file whose header has been read and accepted. */
export interface DataFile {
  path: string
  format: FileFormat
  /** True when the rows carry failure labels. */
  hasLabel: boolean
  /** True when the file has no humidity and it is synthesised. */
  syntheticHumidity: boolean
  /** The usable rows, in file order; bad ones go to `onBad`. Can be iterated once. */
  records: () => AsyncGenerator<DataRecord>
}

const PROGRESS_BYTES = 1 << 20

/**
 * Opens a CSV (AI4I 2020 and its variants, telemetry exports) or NDJSON telemetry file, the one reader
 * of data files that training, evaluation and replay share. Anything unusable as a whole (missing,
 * empty, binary, zipped, wrongly delimited, missing a column) is a one-line DataError.
 */
export async function openDataFile (path: string, options: DataFileOptions): Promise<DataFile> {
  const { format } = await sniffDataFile(path)
  return format === 'ndjson' ? openNdjson(path, options) : await openCsv(path, options)
}

async function openCsv (path: string, options: DataFileOptions): Promise<DataFile> {
  const csv = openCsvRecords(path)
  const first = await csv.next()
  if (first === undefined) throw new DataError(`${path} is empty: expected a CSV header line`)
  const rows = new CsvRows(path, first.record, options)
  const reportUnreadable = (): void => {
    for (const u of csv.unreadable()) options.onBad(u.line, u.reason)
  }
  async function * records (): AsyncGenerator<DataRecord> {
    let reported = 0
    try {
      for (let next = await csv.next(); next !== undefined; next = await csv.next()) {
        reportUnreadable()
        const record = rows.read(next.record, next.info.lines)
        if (record !== undefined) yield record
        if (next.info.bytes - reported > PROGRESS_BYTES) {
          reported = next.info.bytes
          options.onProgress?.(reported)
        }
      }
      reportUnreadable()
    } finally {
      csv.close()
    }
  }
  return { path, format: 'csv', hasLabel: rows.hasLabel, syntheticHumidity: rows.syntheticHumidity, records }
}

/** One parsed CSV row: its fields, and the file line it ends on. */
export interface CsvRecord {
  record: string[]
  info: { lines: number, bytes: number }
}

/** The rows of a CSV file as the data readers parse it (csv-parse), one at a time. */
export interface CsvRecords {
  /** The next row, or undefined at the end; a file that cannot be read is a DataError. */
  next: () => Promise<CsvRecord | undefined>
  /** The rows the parser could not read (a stray quote) since the last call, with their lines. */
  unreadable: () => Array<{ line: number, reason: string }>
  close: () => void
}

/** Opens a CSV file for reading row by row: BOM removed, fields trimmed, empty lines skipped, unreadable rows collected. */
export function openCsvRecords (path: string): CsvRecords {
  const input = createReadStream(path)
  const parser = input.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true, skip_records_with_error: true }))
  input.on('error', (err) => parser.destroy(err))
  // Rows the parser itself cannot read are reported from the reading loop, where onBad may throw.
  const skipped: Array<{ line: number, reason: string }> = []
  parser.on('skip', (err: CsvError & { lines?: number }) => skipped.push({ line: err.lines ?? 0, reason: err.message }))
  const iterator = (parser as AsyncIterable<CsvRecord>)[Symbol.asyncIterator]()
  return {
    next: async () => await readOrFail(path, iterator),
    unreadable: () => skipped.splice(0),
    close: () => input.destroy()
  }
}

/** The next parsed row, with any read or parse failure as a DataError. */
async function readOrFail<T> (path: string, iterator: AsyncIterator<T>): Promise<T | undefined> {
  try {
    const next = await iterator.next()
    return next.done === true ? undefined : next.value
  } catch (err) {
    if (err instanceof CsvError) throw new DataError(`${path}: ${err.message}`)
    throw new DataError(`cannot read ${path}: ${(err as Error).message}`)
  }
}

function openNdjson (path: string, options: DataFileOptions): DataFile {
  if (options.requireLabel === true) throw new DataError(`${path}: telemetry has no labels to evaluate against; evaluate on a labelled CSV such as AI4I 2020`)
  async function * records (): AsyncGenerator<DataRecord> {
    const input = createReadStream(path)
    const lines = createInterface({ input, crlfDelay: Infinity })
    let line = 0
    let bytes = 0
    let reported = 0
    try {
      for await (const raw of lines) {
        line++
        bytes += raw.length + 1
        const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw
        if (text.trim() === '') continue
        // The detector's own decoder: a file holds exactly what scoring would accept.
        const decoded = decodeTelemetry(text, undefined, Math.max(4096, text.length))
        if (!decoded.ok) {
          options.onBad(line, `${decoded.reason}: ${decoded.detail}`)
          continue
        }
        yield { ...decoded.value, line, label: 0, modes: 0 }
        if (bytes - reported > PROGRESS_BYTES) {
          reported = bytes
          options.onProgress?.(bytes)
        }
      }
    } finally {
      lines.close()
      input.destroy()
    }
  }
  return { path, format: 'ndjson', hasLabel: false, syntheticHumidity: false, records }
}

import { decodeTelemetry } from '../contract/decode.js'
import { CsvRows } from './csv-rows.js'
import { openCsvRecords } from './csv-records.js'
import { openFileLines } from './file-lines.js'
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
  /**
   * The same rows a part of the file at a time (for readers that keep up with the disk: no promise per
   * row). `onBad` is called for the bad rows of a part before the part is returned. Either this or
   * {@link records}, once.
   */
  batches: () => AsyncGenerator<DataRecord[]>
}

/** The rows of batches one at a time. */
export async function * eachOf<T> (batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield * batch
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
  const reader = new CsvRows(path, first.record, options)
  const reportUnreadable = (): void => {
    for (const u of csv.unreadable()) options.onBad(u.line, u.reason)
  }
  async function * batches (): AsyncGenerator<DataRecord[]> {
    let reported = 0
    try {
      for (let rows = await csv.nextBatch(); rows !== undefined; rows = await csv.nextBatch()) {
        reportUnreadable()
        const out: DataRecord[] = []
        for (const next of rows) {
          const record = reader.read(next.record, next.line)
          if (record !== undefined) out.push(record)
        }
        if (out.length > 0) yield out
        const bytes = csv.bytesRead()
        if (bytes - reported > PROGRESS_BYTES) {
          reported = bytes
          options.onProgress?.(reported)
        }
      }
      reportUnreadable()
    } finally {
      csv.close()
    }
  }
  return { path, format: 'csv', hasLabel: reader.hasLabel, syntheticHumidity: reader.syntheticHumidity, records: () => eachOf(batches()), batches }
}

function openNdjson (path: string, options: DataFileOptions): DataFile {
  if (options.requireLabel === true) throw new DataError(`${path}: telemetry has no labels to evaluate against; evaluate on a labelled CSV such as AI4I 2020`)
  async function * batches (): AsyncGenerator<DataRecord[]> {
    const file = openFileLines(path)
    let reported = 0
    try {
      for (let batch = await file.next(); batch !== undefined; batch = await file.next()) {
        const out: DataRecord[] = []
        for (let i = 0; i < batch.lines.length; i++) {
          const text = batch.lines[i]
          if (text.trim() === '') continue
          const line = batch.firstLine + i
          // The detector's own decoder: a file holds exactly what scoring would accept.
          const decoded = decodeTelemetry(text, undefined, Math.max(4096, text.length))
          if (!decoded.ok) options.onBad(line, `${decoded.reason}: ${decoded.detail}`)
          else out.push({ ...decoded.value, line, label: 0, modes: 0 })
        }
        if (out.length > 0) yield out
        if (batch.bytes - reported > PROGRESS_BYTES) {
          reported = batch.bytes
          options.onProgress?.(reported)
        }
      }
    } finally {
      file.close()
    }
  }
  return { path, format: 'ndjson', hasLabel: false, syntheticHumidity: false, records: () => eachOf(batches()), batches }
}

import { parse as parseCsvText, CsvError } from 'csv-parse/sync'
import { openFileLines } from './file-lines.js'

/** One parsed CSV row: its fields, and the file line it ends on. */
export interface CsvRecord {
  record: string[]
  line: number
}

/** The rows of a CSV file as the data readers parse it. */
export interface CsvRecords {
  /** The next row, or undefined at the end; a file that cannot be read is a DataError. */
  next: () => Promise<CsvRecord | undefined>
  /**
   * The rows of the next part of the file (at least one), or undefined at the end; the rows that part
   * could not read are in {@link unreadable} when it returns.
   */
  nextBatch: () => Promise<CsvRecord[] | undefined>
  /** The rows that could not be read (a stray or unclosed quote) since the last call, with their lines. */
  unreadable: () => Array<{ line: number, reason: string }>
  /** Bytes of the file read so far. */
  bytesRead: () => number
  close: () => void
}

/**
 * Opens a CSV file for reading row by row or a part (a chunk of file-lines.ts) at a time: BOM removed, fields
 * trimmed, empty lines skipped, any number of fields per row, unreadable rows collected.
 *
 * A part without a quote is split at its line ends and commas by hand rather than parsed by csv-parse,
 * by measurement: time-series exports are mostly numbers and timestamps without quotes, and splitting
 * reads several times as many rows per second as csv-parse's stream with the options the readers need
 * (docs/profiles.md, Scoring a file). A part holding a quote is parsed by csv-parse as a whole (cut where
 * no quoted field is open), so quoted fields, commas and line breaks in them, doubled quotes and the
 * errors of stray quotes read as they always did.
 */
export function openCsvRecords (path: string): CsvRecords {
  const file = openFileLines(path)
  const skipped: Array<{ line: number, reason: string }> = []
  // Lines of a quoted field still open at the end of the last part, and the line number of the first.
  let carried: string[] = []
  let carriedFrom = 1
  let bytes = 0

  /**
   * Rows of whole lines holding quotes, numbered from `firstLine`, through csv-parse; `errorLine`, when
   * given, is the line its errors are reported at (an unclosed quote: the line it opened on).
   */
  const parseQuoted = (lines: readonly string[], firstLine: number, out: CsvRecord[], errorLine?: number): void => {
    const offset = firstLine - 1
    try {
      const rows = parseCsvText(lines.join('\n'), {
        trim: true,
        relax_column_count: true,
        skip_empty_lines: true,
        info: true,
        skip_records_with_error: true,
        on_skip: (err) => { if (err !== undefined) skipped.push({ line: errorLine ?? offset + (err as CsvError & { lines: number }).lines, reason: reasonOf(err) }) }
      }) as unknown as Array<{ record: string[], info: { lines: number } }>
      for (const r of rows) out.push({ record: r.record, line: offset + r.info.lines })
    } catch (err) {
      if (!(err instanceof CsvError)) throw err
      skipped.push({ line: errorLine ?? firstLine, reason: reasonOf(err) })
    }
  }

  /** Rows of lines without a quote, numbered from `firstLine`. */
  const splitPlain = (lines: readonly string[], firstLine: number, out: CsvRecord[]): void => {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]
      if (text.length === 0 || text.trim() === '') continue
      const record = text.split(',')
      for (let f = 0; f < record.length; f++) {
        const field = record[f]
        if (field.length > 0 && (field.charCodeAt(0) <= 32 || field.charCodeAt(field.length - 1) <= 32)) record[f] = field.trim()
      }
      out.push({ record, line: firstLine + i })
    }
  }

  const nextBatch = async (): Promise<CsvRecord[] | undefined> => {
    const out: CsvRecord[] = []
    while (out.length === 0) {
      const batch = await file.next()
      if (batch === undefined) {
        // A quote opened and never closed: csv-parse says so, at the line it opened on.
        if (carried.length > 0) parseQuoted(carried, carriedFrom, out, carriedFrom)
        carried = []
        return out.length > 0 ? out : undefined
      }
      bytes = batch.bytes
      const lines = carried.length > 0 ? [...carried, ...batch.lines] : batch.lines
      const firstLine = carried.length > 0 ? carriedFrom : batch.firstLine
      carried = []
      // Where the part can be cut: after the last line at which no quoted field is open.
      let open = false
      let quotes = false
      let cut = lines.length
      for (let i = 0; i < lines.length; i++) {
        const count = quoteCount(lines[i])
        if (count === 0) continue
        quotes = true
        if (count % 2 === 1) {
          open = !open
          if (open) cut = i
        }
      }
      if (!open) cut = lines.length
      if (!quotes) splitPlain(lines, firstLine, out)
      else if (cut > 0) parseQuoted(lines.slice(0, cut), firstLine, out)
      if (cut < lines.length) {
        carried = lines.slice(cut)
        carriedFrom = firstLine + cut
      }
    }
    return out
  }

  let current: CsvRecord[] = []
  let at = 0
  return {
    next: async () => {
      if (at >= current.length) {
        current = await nextBatch() ?? []
        at = 0
        if (current.length === 0) return undefined
      }
      return current[at++]
    },
    nextBatch: async () => {
      // Rows of a part that next() has begun come first.
      if (at < current.length) {
        const remaining = current.slice(at)
        current = []
        at = 0
        return remaining
      }
      return await nextBatch()
    },
    unreadable: () => skipped.splice(0),
    bytesRead: () => bytes,
    close: file.close
  }
}

/** Quotes in a line (a doubled quote inside a field counts twice, so an odd count opens or closes a field). */
function quoteCount (text: string): number {
  let count = 0
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) count++
  return count
}

/** csv-parse's message without its "at line N", which counts from the part parsed, not the file (the line is reported beside it). */
function reasonOf (err: Error): string {
  return err.message.replace(/ at line \d+/g, '')
}

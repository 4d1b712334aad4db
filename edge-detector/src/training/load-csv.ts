import { createReadStream } from 'node:fs'
import { parse, CsvError } from 'csv-parse'
import { KELVIN_OFFSET } from '@factory-edge/sensor-simulator'
import { BadRows } from './bad-rows.js'
import { matchColumns, REQUIRED_ROLES, ROLE_LABELS, type ColumnMatch, type ColumnRole } from './columns.js'
import { DatasetBuilder, FAILURE_MODES, READING_FIELDS, type Dataset, type FailureMode } from './dataset.js'
import { DataError } from './errors.js'
import { SyntheticHumidity } from './humidity.js'
import { checkReading } from './ranges.js'
import type { LoadOptions } from './load.js'

/** AI4I rows have no time; they are taken as one machine cycle a second, the simulator's default rate. */
const ROW_INTERVAL_MS = 1000
/** Temperatures above this with no unit in the header are taken to be Kelvin (no machine runs at 150 °C air). */
const KELVIN_GUESS_ABOVE = 150

/** Per reading field: true for the temperatures, which may come in Kelvin. */
const TEMPERATURES = READING_FIELDS.map((f) => f === 'temperature' || f === 'airTemperature')

const FAILURE_TYPES: Record<string, FailureMode | null> = {
  nofailure: null,
  heatdissipationfailure: 'HDF',
  powerfailure: 'PWF',
  overstrainfailure: 'OSF',
  toolwearfailure: 'TWF',
  randomfailure: 'RNF',
  randomfailures: 'RNF'
}

/**
 * Streams a CSV file (AI4I 2020 from UCI or Kaggle, a header variant, or a telemetry export) into a
 * Dataset. Temperatures in Kelvin are converted to °C; humidity is synthesised when absent.
 */
export async function loadCsv (path: string, options: LoadOptions = {}): Promise<Dataset> {
  const parser = createReadStream(path).pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }))
  const bad = new BadRows(path, options.skipBadRows === true)
  const builder = new DatasetBuilder()
  let rows: RowReader | undefined
  let bytes = 0
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[], info: { lines: number, bytes: number } }>) {
      if (rows === undefined) {
        rows = new RowReader(path, record, builder, bad, options)
        continue
      }
      rows.read(record, info.lines)
      if (info.bytes - bytes > 1 << 20) {
        bytes = info.bytes
        options.onProgress?.(bytes)
      }
    }
  } catch (err) {
    if (err instanceof DataError) throw err
    if (err instanceof CsvError) throw new DataError(`${path}: ${err.message}`)
    throw new DataError(`cannot read ${path}: ${(err as Error).message}`)
  }
  if (rows === undefined) throw new DataError(`${path} is empty: expected a CSV header line`)
  if (builder.rows === 0) {
    throw new DataError(`${path} has no usable rows${bad.count > 0 ? ` (${bad.count} bad rows skipped, first: ${bad.examples[0]})` : ''}`)
  }
  return builder.build({ source: path, hasLabel: rows.hasLabel, syntheticHumidity: rows.syntheticHumidity, skipped: bad.summary() })
}

/** Turns the records of one file into rows, given its header. */
class RowReader {
  readonly hasLabel: boolean
  readonly syntheticHumidity: boolean
  private readonly columns: Partial<Record<ColumnRole, ColumnMatch>>
  private readonly fieldColumns: Array<ColumnMatch | undefined>
  private readonly kelvin: Array<boolean | undefined>
  private readonly values = new Float64Array(READING_FIELDS.length)
  private readonly humidity: SyntheticHumidity
  private readonly defaultMachine: number
  private rowIndex = 0

  constructor (
    private readonly path: string,
    header: string[],
    private readonly builder: DatasetBuilder,
    private readonly bad: BadRows,
    options: LoadOptions
  ) {
    this.columns = matchColumns(header)
    checkDelimiter(path, header)
    const missing = REQUIRED_ROLES.filter((r) => this.columns[r] === undefined)
    if (missing.length > 0) {
      throw new DataError(`${path}: missing column ${missing.map((r) => `"${ROLE_LABELS[r]}"`).join(', ')}; columns found: ${header.map((h) => JSON.stringify(h.replace(/^\uFEFF/, ''))).join(', ')}`)
    }
    if (options.requireLabel === true && !this.labelled()) {
      throw new DataError(`${path}: no label column to evaluate against: expected "Machine failure", "Target" or "Failure Type"; columns found: ${header.map((h) => JSON.stringify(h)).join(', ')}`)
    }
    this.hasLabel = this.labelled()
    this.fieldColumns = READING_FIELDS.map((f) => this.columns[f])
    this.kelvin = READING_FIELDS.map((f) => this.columns[f]?.kelvin)
    this.syntheticHumidity = this.columns.humidity === undefined
    this.humidity = new SyntheticHumidity(options.humiditySeed)
    this.defaultMachine = this.columns.machineId === undefined ? builder.machineId(options.machineId ?? 'ai4i') : -1
  }

  private labelled (): boolean {
    const c = this.columns
    return c.label !== undefined || c.failureType !== undefined || FAILURE_MODES.some((m) => c[m] !== undefined)
  }

  read (record: string[], line: number): void {
    const machine = this.machine(record, line)
    if (machine === undefined) return
    const ts = this.timestamp(record, line, this.rowIndex)
    if (ts === undefined) return
    for (let f = 0; f < READING_FIELDS.length; f++) {
      const column = this.fieldColumns[f]
      if (column === undefined) {
        this.values[f] = this.humidity.at(ts)
        continue
      }
      const value = this.number(record, column, line)
      if (value === undefined) return
      this.values[f] = TEMPERATURES[f] ? this.celsius(f, value) : value
      const problem = checkReading(READING_FIELDS[f], this.values[f])
      if (problem !== undefined) return this.bad.reject(line, `column "${column.header}": ${problem}`)
    }
    let modes = 0
    for (let m = 0; m < FAILURE_MODES.length; m++) {
      const column = this.columns[FAILURE_MODES[m]]
      if (column === undefined) continue
      const flag = this.flag(record, column, line)
      if (flag === undefined) return
      if (flag === 1) modes |= 1 << m
    }
    const type = this.columns.failureType
    if (type !== undefined) {
      const text = (record[type.index] ?? '').toLowerCase().replace(/[^a-z]/g, '')
      const mode = FAILURE_TYPES[text]
      if (mode === undefined) return this.bad.reject(line, `column "${type.header}": unknown failure type ${JSON.stringify(record[type.index])}`)
      if (mode !== null) modes |= 1 << FAILURE_MODES.indexOf(mode)
    }
    let label = modes !== 0 ? 1 : 0
    if (this.columns.label !== undefined) {
      const flag = this.flag(record, this.columns.label, line)
      if (flag === undefined) return
      label = flag
    }
    this.rowIndex++
    this.builder.push(this.values, machine, ts, label, modes)
  }

  private field (record: string[], column: ColumnMatch, line: number): string | undefined {
    const raw = record[column.index]
    if (raw === undefined) {
      this.bad.reject(line, `has ${record.length} fields, too few for column "${column.header}"`)
      return undefined
    }
    return raw
  }

  private number (record: string[], column: ColumnMatch, line: number): number | undefined {
    const raw = this.field(record, column, line)
    if (raw === undefined) return undefined
    const value = raw === '' ? Number.NaN : Number(raw)
    if (!Number.isFinite(value)) {
      this.bad.reject(line, `column "${column.header}": ${JSON.stringify(raw.slice(0, 40))} is not a number`)
      return undefined
    }
    return value
  }

  private flag (record: string[], column: ColumnMatch, line: number): 0 | 1 | undefined {
    const value = this.number(record, column, line)
    if (value === undefined) return undefined
    if (value !== 0 && value !== 1) {
      this.bad.reject(line, `column "${column.header}": ${value} is not 0 or 1`)
      return undefined
    }
    return value
  }

  private celsius (f: number, value: number): number {
    if (this.kelvin[f] === undefined) this.kelvin[f] = value > KELVIN_GUESS_ABOVE
    return this.kelvin[f] === true ? value - KELVIN_OFFSET : value
  }

  private machine (record: string[], line: number): number | undefined {
    const column = this.columns.machineId
    if (column === undefined) return this.defaultMachine
    const id = this.field(record, column, line)
    if (id === undefined) return undefined
    if (id === '') {
      this.bad.reject(line, `column "${column.header}" is empty`)
      return undefined
    }
    return this.builder.machineId(id)
  }

  private timestamp (record: string[], line: number, index: number): number | undefined {
    const column = this.columns.ts
    if (column === undefined) return index * ROW_INTERVAL_MS
    const raw = this.field(record, column, line)
    if (raw === undefined) return undefined
    const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw)
    if (!Number.isFinite(value)) {
      this.bad.reject(line, `column "${column.header}": ${JSON.stringify(raw.slice(0, 40))} is not a timestamp`)
      return undefined
    }
    return value
  }
}

/** A header read as one column that contains another separator means the file is not comma-separated. */
function checkDelimiter (path: string, header: string[]): void {
  if (header.length !== 1) return
  for (const [sep, name] of [[';', 'semicolons'], ['\t', 'tabs'], ['|', 'pipes']] as const) {
    if (header[0].includes(sep)) throw new DataError(`${path} is separated by ${name}, not commas: convert it to comma-separated CSV`)
  }
}

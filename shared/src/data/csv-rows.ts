import { KELVIN_OFFSET, FAILURE_MODES, type FailureMode } from './ai4i.js'
import { matchColumns, REQUIRED_ROLES, ROLE_LABELS, type ColumnMatch, type ColumnRole } from './columns.js'
import { DataError } from '../errors.js'
import { SyntheticHumidity } from './humidity.js'
import { checkReading } from './ranges.js'
import { SENSOR_FIELDS } from '../contract/sensor-fields.js'
import type { DataFileOptions, DataRecord } from './records.js'

/** Temperatures above this with no unit in the header are taken to be Kelvin (no machine runs at 150 °C air). */
const KELVIN_GUESS_ABOVE = 150
/** Kelvin converted to °C is rounded to this many decimals, dropping float noise (26.950000000000045). */
const CELSIUS_SCALE = 1e6

/** Per reading field: true for the temperatures, which may come in Kelvin. */
const TEMPERATURES = SENSOR_FIELDS.map((f) => f === 'temperature' || f === 'airTemperature')

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
 * Turns the rows of one CSV file into records, given its header: AI4I 2020 from UCI or Kaggle, header
 * variants, or a telemetry export. Temperatures in Kelvin become °C; humidity is synthesised when absent.
 */
export class CsvRows {
  readonly hasLabel: boolean
  readonly syntheticHumidity: boolean
  private readonly columns: Partial<Record<ColumnRole, ColumnMatch>>
  private readonly fieldColumns: Array<ColumnMatch | undefined>
  private readonly kelvin: Array<boolean | undefined>
  private readonly humidity: SyntheticHumidity
  private readonly defaultMachine: string
  private readonly intervalMs: number
  private rowIndex = 0

  constructor (path: string, header: string[], private readonly options: DataFileOptions) {
    this.columns = matchColumns(header)
    checkDelimiter(path, header)
    const missing = REQUIRED_ROLES.filter((r) => this.columns[r] === undefined)
    if (missing.length > 0) {
      throw new DataError(`${path}: missing column ${missing.map((r) => `"${ROLE_LABELS[r]}"`).join(', ')}; columns found: ${header.map((h) => JSON.stringify(h.replace(/^\uFEFF/, ''))).join(', ')}`)
    }
    this.hasLabel = this.labelled()
    if (options.requireLabel === true && !this.hasLabel) {
      throw new DataError(`${path}: no label column to evaluate against: expected "Machine failure", "Target" or "Failure Type"; columns found: ${header.map((h) => JSON.stringify(h)).join(', ')}`)
    }
    this.fieldColumns = SENSOR_FIELDS.map((f) => this.columns[f])
    this.kelvin = SENSOR_FIELDS.map((f) => this.columns[f]?.kelvin)
    this.syntheticHumidity = this.columns.humidity === undefined
    this.humidity = new SyntheticHumidity(options.humiditySeed)
    this.defaultMachine = options.machineId ?? 'ai4i'
    this.intervalMs = options.intervalMs ?? 1000
  }

  private labelled (): boolean {
    const c = this.columns
    return c.label !== undefined || c.failureType !== undefined || FAILURE_MODES.some((m) => c[m] !== undefined)
  }

  /** The record of one row, or undefined for a bad row (reported to `onBad`). */
  read (record: string[], line: number): DataRecord | undefined {
    const machineId = this.machine(record, line)
    if (machineId === undefined) return undefined
    const udi = this.columns.udi === undefined ? undefined : this.integer(record, this.columns.udi, line)
    if (udi === null) return undefined
    // UDI numbers the cycles: a skipped row leaves its gap in time.
    const cycle = udi === undefined ? this.rowIndex : Math.max(0, udi - 1)
    const ts = this.timestamp(record, line, cycle)
    if (ts === undefined) return undefined
    const seq = this.columns.seq === undefined ? cycle : this.integer(record, this.columns.seq, line)
    if (seq === null) return undefined
    const out: DataRecord = { line, machineId, ts, seq, temperature: 0, airTemperature: 0, rpm: 0, torque: 0, toolWear: 0, humidity: 0, label: 0, modes: 0 }
    for (let f = 0; f < SENSOR_FIELDS.length; f++) {
      const column = this.fieldColumns[f]
      let value: number | undefined
      if (column === undefined) {
        value = this.humidity.at(ts)
      } else {
        value = this.number(record, column, line)
        if (value === undefined) return undefined
        if (TEMPERATURES[f]) value = this.celsius(f, value)
        const problem = checkReading(SENSOR_FIELDS[f], value)
        if (problem !== undefined) return this.bad(line, `column "${column.header}": ${problem}`)
      }
      out[SENSOR_FIELDS[f]] = value
    }
    if (!this.readLabels(record, line, out)) return undefined
    const type = this.columns.productType
    if (type !== undefined) {
      const text = this.field(record, type, line)
      if (text === undefined) return undefined
      if (text !== 'L' && text !== 'M' && text !== 'H') return this.bad(line, `column "${type.header}" is ${JSON.stringify(text.slice(0, 40))}, expected L, M or H`)
      out.productType = text
    }
    this.rowIndex++
    return out
  }

  /** Fills in label and failure modes; false for a bad row. */
  private readLabels (record: string[], line: number, out: DataRecord): boolean {
    let modes = 0
    for (let m = 0; m < FAILURE_MODES.length; m++) {
      const column = this.columns[FAILURE_MODES[m]]
      if (column === undefined) continue
      const flag = this.flag(record, column, line)
      if (flag === undefined) return false
      if (flag === 1) modes |= 1 << m
    }
    const type = this.columns.failureType
    if (type !== undefined) {
      const text = (record[type.index] ?? '').toLowerCase().replace(/[^a-z]/g, '')
      const mode = FAILURE_TYPES[text]
      if (mode === undefined) {
        this.bad(line, `column "${type.header}": unknown failure type ${JSON.stringify(record[type.index])}`)
        return false
      }
      if (mode !== null) modes |= 1 << FAILURE_MODES.indexOf(mode)
    }
    let label = modes !== 0 ? 1 : 0
    if (this.columns.label !== undefined) {
      const flag = this.flag(record, this.columns.label, line)
      if (flag === undefined) return false
      label = flag
    }
    out.label = label
    out.modes = modes
    return true
  }

  private bad (line: number, reason: string): undefined {
    this.options.onBad(line, reason)
    return undefined
  }

  private field (record: string[], column: ColumnMatch, line: number): string | undefined {
    const raw = record[column.index]
    if (raw === undefined) return this.bad(line, `has ${record.length} fields, too few for column "${column.header}"`)
    return raw
  }

  private number (record: string[], column: ColumnMatch, line: number): number | undefined {
    const raw = this.field(record, column, line)
    if (raw === undefined) return undefined
    const value = raw === '' ? Number.NaN : Number(raw)
    if (!Number.isFinite(value)) return this.bad(line, `column "${column.header}": ${JSON.stringify(raw.slice(0, 40))} is not a number`)
    return value
  }

  /** A non-negative integer column; null for a bad row. */
  private integer (record: string[], column: ColumnMatch, line: number): number | null {
    const value = this.number(record, column, line)
    if (value === undefined) return null
    if (!Number.isSafeInteger(value) || value < 0) {
      this.bad(line, `column "${column.header}": ${value} is not a whole number of at least 0`)
      return null
    }
    return value
  }

  private flag (record: string[], column: ColumnMatch, line: number): 0 | 1 | undefined {
    const value = this.number(record, column, line)
    if (value === undefined) return undefined
    if (value !== 0 && value !== 1) return this.bad(line, `column "${column.header}": ${value} is not 0 or 1`)
    return value
  }

  private celsius (f: number, value: number): number {
    if (this.kelvin[f] === undefined) this.kelvin[f] = value > KELVIN_GUESS_ABOVE
    return this.kelvin[f] === true ? Math.round((value - KELVIN_OFFSET) * CELSIUS_SCALE) / CELSIUS_SCALE : value
  }

  private machine (record: string[], line: number): string | undefined {
    const column = this.columns.machineId
    if (column === undefined) return this.defaultMachine
    const id = this.field(record, column, line)
    if (id === undefined) return undefined
    if (id === '') return this.bad(line, `column "${column.header}" is empty`)
    return id
  }

  private timestamp (record: string[], line: number, cycle: number): number | undefined {
    const column = this.columns.ts
    if (column === undefined) return cycle * this.intervalMs
    const raw = this.field(record, column, line)
    if (raw === undefined) return undefined
    const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw)
    if (!Number.isFinite(value)) return this.bad(line, `column "${column.header}": ${JSON.stringify(raw.slice(0, 40))} is not a timestamp`)
    return value
  }
}

/** A header read as one column that contains another separator means the file is not comma-separated. */
export function checkDelimiter (path: string, header: readonly string[]): void {
  if (header.length !== 1) return
  for (const [sep, name] of [[';', 'semicolons'], ['\t', 'tabs'], ['|', 'pipes']] as const) {
    if (header[0].includes(sep)) throw new DataError(`${path} is separated by ${name}, not commas: convert it to comma-separated CSV`)
  }
}

import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { parse } from 'csv-parse'
import { Random, decodeTelemetry, type Telemetry } from '@factory-edge/shared'
import { KELVIN_OFFSET } from '../physics/ai4i.js'
import { syntheticHumidity } from '../physics/humidity.js'

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

export type ReplayFormat = 'ai4i' | 'telemetry-csv' | 'ndjson'

/** The columns of the AI4I 2020 CSV this reader needs. */
export const AI4I_COLUMNS = ['UDI', 'Type', 'Air temperature [K]', 'Process temperature [K]', 'Rotational speed [rpm]', 'Torque [Nm]', 'Tool wear [min]'] as const
const AI4I_MODES = ['TWF', 'HDF', 'PWF', 'OSF', 'RNF'] as const
const TELEMETRY_COLUMNS = ['machineId', 'ts', 'temperature', 'airTemperature', 'rpm', 'torque', 'toolWear', 'humidity'] as const
const NUMERIC = new Set(['ts', 'seq', 'temperature', 'airTemperature', 'rpm', 'torque', 'toolWear', 'humidity'])

/** Thrown when a file is none of the known formats; the message lists the header it found. */
export class ReplayFormatError extends Error {
  override name = 'ReplayFormatError'
}

/** Looks at the first line of `path` to tell the format. */
export async function detectFormat (path: string): Promise<ReplayFormat> {
  const handle = await open(path, 'r')
  try {
    const buf = Buffer.alloc(4096)
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0)
    const first = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0].trim()
    if (first.startsWith('{')) return 'ndjson'
    const header = first.split(',').map((c) => c.trim().replace(/^"|"$/g, ''))
    if (AI4I_COLUMNS.every((c) => header.includes(c))) return 'ai4i'
    if (TELEMETRY_COLUMNS.every((c) => header.includes(c))) return 'telemetry-csv'
    throw new ReplayFormatError(`${path}: unknown format; expected the AI4I 2020 CSV (${AI4I_COLUMNS.join(', ')}), a telemetry CSV (${TELEMETRY_COLUMNS.join(', ')}) or NDJSON telemetry, but the first line is ${JSON.stringify(first.slice(0, 200))}`)
  } finally {
    await handle.close()
  }
}

export interface ReadOptions {
  /** AI4I: the machine id of every row; recordings: keep only this machine. */
  machine?: string
  /** AI4I: milliseconds between rows. */
  intervalMs: number
  onBad: (bad: BadRow) => void
}

/** Streams the records of a replay file; bad rows go to `onBad` and are skipped. */
export async function * readReplayFile (path: string, format: ReplayFormat, options: ReadOptions): AsyncGenerator<ReplayRecord> {
  if (format === 'ndjson') {
    yield * readNdjson(path, options)
    return
  }
  const input = createReadStream(path)
  const parser = input.pipe(parse({
    bom: true,
    columns: (header: string[]) => header.map((h) => h.trim()),
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
    skip_records_with_error: true,
    info: true
  }))
  input.on('error', (err) => parser.destroy(err))
  parser.on('skip', (err: Error & { lines?: number }) => options.onBad({ line: err.lines ?? 0, reason: err.message }))
  const convert = format === 'ai4i' ? ai4iRecord(options) : telemetryCsvRecord(options)
  for await (const row of parser as AsyncIterable<{ record: Record<string, string>, info: { lines: number } }>) {
    const out = convert(row.record, row.info.lines)
    if (typeof out === 'string') options.onBad({ line: row.info.lines, reason: out })
    else if (out !== undefined) yield out
  }
}

function ai4iRecord (options: ReadOptions): (row: Record<string, string>, line: number) => ReplayRecord | string | undefined {
  const machineId = options.machine ?? 'ai4i-1'
  // AI4I has no humidity; it is made up as in the simulator, the same on every replay.
  const rng = new Random(0x41493449)
  return (row, line) => {
    const values: number[] = []
    for (const c of AI4I_COLUMNS) {
      if (c === 'Type') continue
      const v = Number(row[c])
      if (row[c] === undefined || row[c] === '' || !Number.isFinite(v)) return `column ${JSON.stringify(c)} is ${JSON.stringify(row[c] ?? '')}, not a number`
      values.push(v)
    }
    const [udi, airK, processK, rpm, torque, toolWear] = values
    const type = row.Type
    if (type !== 'L' && type !== 'M' && type !== 'H') return `Type is ${JSON.stringify(type)}, expected L, M or H`
    // UDI numbers the cycles: a skipped row leaves its gap in time.
    const ts = Math.max(0, Math.trunc(udi) - 1) * options.intervalMs
    const telemetry = {
      machineId,
      ts,
      seq: Math.max(0, Math.trunc(udi) - 1),
      temperature: Math.round((processK - KELVIN_OFFSET) * 100) / 100,
      airTemperature: Math.round((airK - KELVIN_OFFSET) * 100) / 100,
      rpm,
      torque,
      toolWear,
      humidity: syntheticHumidity(45, ts, rng),
      productType: type
    }
    const decoded = decodeTelemetry(JSON.stringify(telemetry), machineId)
    if (!decoded.ok) return decoded.detail
    const failures: string[] = AI4I_MODES.filter((m) => row[m] === '1')
    if (failures.length === 0 && row['Machine failure'] === '1') failures.push('unspecified')
    return { telemetry: decoded.value, failures, line }
  }
}

function telemetryCsvRecord (options: ReadOptions): (row: Record<string, string>, line: number) => ReplayRecord | string | undefined {
  let index = 0
  return (row, line) => {
    if (options.machine !== undefined && row.machineId !== options.machine) return undefined
    const obj: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(row)) {
      if (v === '' || v === undefined) continue
      obj[k] = NUMERIC.has(k) ? Number(v) : v
    }
    obj.seq ??= index
    index++
    return decodeRecord(JSON.stringify(obj), line)
  }
}

async function * readNdjson (path: string, options: ReadOptions): AsyncGenerator<ReplayRecord> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  let line = 0
  for await (const raw of lines) {
    line++
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw
    if (text.trim() === '') continue
    const out = decodeRecord(text, line)
    if (typeof out === 'string') options.onBad({ line, reason: out })
    else if (options.machine === undefined || out.telemetry.machineId === options.machine) yield out
  }
}

function decodeRecord (json: string, line: number): ReplayRecord | string {
  const decoded = decodeTelemetry(json)
  if (!decoded.ok) return `${decoded.reason}: ${decoded.detail}`
  return { telemetry: decoded.value, failures: [], line }
}

import { readFile } from 'node:fs/promises'
import { DataError } from '@factory-edge/shared/data'
import { matchEpisodes, quantileOf, type Episode, type Raise } from './episodes.js'
import { inputBatches, RowScorer, type ScoreFileOptions } from './score-file.js'

const DAY_MS = 86_400_000

/** Event-level figures of a readings file against labelled anomaly windows. */
export interface WindowEvaluation {
  windows: number
  detected: number
  /** detected / windows (NaN without windows). */
  recall: number
  /** From a window's start to its first raise, in seconds. */
  delayP50S: number
  delayP90S: number
  falseAlarms: number
  machineDays: number
  falseAlarmsPerMachineDay: number
  raises: number
}

/**
 * Reads anomaly windows: a CSV with a header naming `machine` (or `machineId`), `start` and `end`
 * (ISO 8601 or epoch milliseconds), or a JSON array of such objects. A window is one episode of kind
 * `anomaly`, from start to end inclusive.
 */
export async function loadWindows (path: string): Promise<Episode[]> {
  const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '')
  const rows: Array<Record<string, unknown>> = text.trimStart().startsWith('[') ? parseJson(path, text) : parseCsv(path, text)
  return rows.map((row, i) => {
    const where = `${path}, window ${i + 1}`
    const machineId = row.machine ?? row.machineId
    if (typeof machineId !== 'string' || machineId === '') throw new DataError(`${where}: no machine (a "machine" or "machineId" column)`)
    const first = timeOf(row.start, `${where}: start`)
    const last = timeOf(row.end, `${where}: end`)
    if (last < first) throw new DataError(`${where}: ends before it starts`)
    return { machineId, kind: 'anomaly', mode: typeof row.label === 'string' ? row.label : 'anomaly', first, last }
  })
}

/**
 * Runs a readings file through the detector's pipeline (as `edge-detector score` does) and matches its
 * raises with the windows: a window is detected by a raise between its start and `graceMs` after its
 * end; a raise outside every window is a false alarm. Machine-days are each machine's span of readings.
 */
export async function evaluateWindows (readings: string, windows: readonly Episode[], options: ScoreFileOptions & { graceMs?: number } = {}): Promise<WindowEvaluation> {
  const scorer = new RowScorer(options)
  const raises: Raise[] = []
  const span = new Map<string, { from: number, to: number }>()
  const batches = await inputBatches(readings, options, (line, reason) => { throw new DataError(`${readings}, line ${line}: ${reason}`) })
  for await (const { records, trusted } of batches) {
    for (const record of records) {
      scorer.process(record, trusted)
      const r = { machineId: String(record.machineId), ts: record.ts as number }
      const s = span.get(r.machineId)
      if (s === undefined) span.set(r.machineId, { from: r.ts, to: r.ts })
      else { s.from = Math.min(s.from, r.ts); s.to = Math.max(s.to, r.ts) }
      const e = scorer.event
      if (e?.state === 'raised') raises.push({ machineId: e.machineId, at: e.ts, kind: e.kind })
    }
  }
  const m = matchEpisodes(raises, windows, 'anomaly', options.graceMs ?? 0)
  let machineDays = 0
  for (const s of span.values()) machineDays += (s.to - s.from) / DAY_MS
  return {
    windows: m.episodes,
    detected: m.detected,
    recall: m.episodes === 0 ? Number.NaN : m.detected / m.episodes,
    delayP50S: quantileOf(m.delays, 0.5) / 1000,
    delayP90S: quantileOf(m.delays, 0.9) / 1000,
    falseAlarms: m.falseAlarms,
    machineDays,
    falseAlarmsPerMachineDay: machineDays > 0 ? m.falseAlarms / machineDays : Number.NaN,
    raises: raises.length
  }
}

function parseJson (path: string, text: string): Array<Record<string, unknown>> {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new DataError(`${path}: not valid JSON (${(err as Error).message})`)
  }
  if (!Array.isArray(doc) || !doc.every((w) => typeof w === 'object' && w !== null)) throw new DataError(`${path}: expected a JSON array of windows ({"machine","start","end"})`)
  return doc as Array<Record<string, unknown>>
}

function parseCsv (path: string, text: string): Array<Record<string, unknown>> {
  const [header, ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const names = (header ?? '').split(',').map((h) => h.trim())
  for (const need of ['start', 'end']) if (!names.includes(need)) throw new DataError(`${path}: no "${need}" column; the header is ${JSON.stringify(header ?? '')}`)
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v.trim()])))
}

function timeOf (value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value)
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (Number.isNaN(t)) throw new DataError(`${what} ${JSON.stringify(value)} is not a time (ISO 8601 or epoch milliseconds)`)
  return t
}

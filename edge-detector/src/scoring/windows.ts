import { readFile } from 'node:fs/promises'
import { DataError } from '@factory-edge/shared/data'
import { matchEpisodes, quantileOf, type Episode, type Raise } from './episodes.js'
import { inputBatches, RowScorer, type ScoreFileOptions } from './score-file.js'
import { averagePrecision, rocAuc } from '../training/evaluation.js'

const DAY_MS = 86_400_000

/** Event-level figures of a readings file against labelled anomaly windows, and row-level ones beside them. */
export interface WindowEvaluation {
  /** Windows counted: those that begin after their machine's learning (every window without learning). */
  windows: number
  /** Windows left out because they begin while their machine still learns its baseline (nothing scores them). */
  windowsWhileLearning: number
  detected: number
  /** detected / windows (NaN without windows). */
  recall: number
  /** From a window's start to its first raise, in seconds. */
  delayP50S: number
  delayP90S: number
  falseAlarms: number
  /** Each machine's span of readings after its learning. */
  machineDays: number
  falseAlarmsPerMachineDay: number
  raises: number
  /** Row-level: every scored row, a positive when it lies inside one of its machine's windows. */
  rows: RowLevelEvaluation
}

/** ROC-AUC and average precision of the scored rows, rows inside a window being the positives. */
export interface RowLevelEvaluation {
  scored: number
  /** Scored rows inside a window. */
  inWindows: number
  /** Rows its machine learned on: no score, left out. */
  learning: number
  /** Rows neither scored nor learned on (bad, rejected, duplicate, late...): left out. */
  unscored: number
  /** NaN when undefined; `undefinedWhy` then says why. */
  auc: number
  ap: number
  undefinedWhy?: string
}

/**
 * Reads anomaly windows: a CSV with a header naming `machine` (or `machineId`), `start` and `end`
 * (ISO 8601 or epoch milliseconds), or a JSON array of such objects. A window is one episode of kind
 * `anomaly`, from start to end inclusive.
 */
export async function loadWindows (path: string): Promise<Episode[]> {
  const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '')
  const rows: Array<{ where: string, row: Record<string, unknown> }> = text.trimStart().startsWith('[') ? parseJson(path, text) : parseCsv(path, text)
  if (rows.length === 0) throw new DataError(`${path}: no anomaly windows in it (a header machine,start,end and a line per window, or a JSON array of {"machine","start","end"})`)
  return rows.map(({ where, row }) => {
    const machineId = row.machine ?? row.machineId
    if (typeof machineId !== 'string' || machineId === '') throw new DataError(`${where}: no machine (a "machine" or "machineId" column)`)
    const first = timeOf(row.start, `${where}: start`)
    const last = timeOf(row.end, `${where}: end`)
    if (last < first) throw new DataError(`${where}: ends before it starts`)
    return { machineId, kind: 'anomaly', mode: typeof row.label === 'string' ? row.label : 'anomaly', first, last }
  })
}

/**
 * Runs a readings file through the detector's pipeline (as `edge-detector score` does: a model, or
 * profiles whose machines learn their own baseline first) and matches its raises with the windows: a
 * window is detected by a raise between its start and `graceMs` after its end; a raise outside every
 * window is a false alarm. A window that begins while its machine learns is left out (counted), as the
 * quality benchmark leaves out failures during learning; machine-days are each machine's span of
 * readings after its learning. Beside them, the row-level figures: ROC-AUC and average precision of the
 * scored rows' raw scores, a row inside one of its machine's windows being a positive.
 */
export async function evaluateWindows (readings: string, windows: readonly Episode[], options: ScoreFileOptions & { graceMs?: number } = {}): Promise<WindowEvaluation> {
  const scorer = new RowScorer(options)
  const inWindow = windowLookup(windows)
  const raises: Raise[] = []
  const span = new Map<string, { from: number, to: number }>()
  /** Each learning machine's first reading after its learning (Infinity while it still learns). */
  const learnedAt = new Map<string, number>()
  const scores: number[] = []
  const labels: number[] = []
  let learning = 0
  let unscored = 0
  const onBad = (line: number, reason: string): void => {
    if (options.skipBadRows !== true) throw new DataError(`${readings}, line ${line}: ${reason} (--skip-bad-rows leaves it out and goes on)`)
    unscored++
  }
  const batches = await inputBatches(readings, options, onBad)
  for await (const { records, trusted } of batches) {
    for (const record of records) {
      const outcome = scorer.process(record, trusted)
      const machineId = String(record.machineId)
      const ts = record.ts as number
      if (outcome === 'learning') {
        learning++
        if (!learnedAt.has(machineId)) learnedAt.set(machineId, Infinity)
        continue
      }
      if (outcome === 'rejected') {
        unscored++
        continue
      }
      if (learnedAt.get(machineId) === Infinity) learnedAt.set(machineId, ts)
      const s = span.get(machineId)
      if (s === undefined) span.set(machineId, { from: ts, to: ts })
      else { s.from = Math.min(s.from, ts); s.to = Math.max(s.to, ts) }
      if (outcome !== 'scored') {
        unscored++
        continue
      }
      scores.push(scorer.score)
      labels.push(inWindow(machineId, ts) ? 1 : 0)
      const e = scorer.event
      if (e?.state === 'raised') raises.push({ machineId: e.machineId, at: e.ts, kind: e.kind })
    }
  }
  const counted = windows.filter((w) => w.first >= (learnedAt.get(w.machineId) ?? -Infinity))
  const m = matchEpisodes(raises, counted, 'anomaly', options.graceMs ?? 0)
  let machineDays = 0
  for (const s of span.values()) machineDays += (s.to - s.from) / DAY_MS
  return {
    windows: m.episodes,
    windowsWhileLearning: windows.length - counted.length,
    detected: m.detected,
    recall: m.episodes === 0 ? Number.NaN : m.detected / m.episodes,
    delayP50S: quantileOf(m.delays, 0.5) / 1000,
    delayP90S: quantileOf(m.delays, 0.9) / 1000,
    falseAlarms: m.falseAlarms,
    machineDays,
    falseAlarmsPerMachineDay: machineDays > 0 ? m.falseAlarms / machineDays : Number.NaN,
    raises: raises.length,
    rows: rowLevel(Float64Array.from(scores), Uint8Array.from(labels), learning, unscored)
  }
}

function rowLevel (scores: Float64Array, labels: Uint8Array, learning: number, unscored: number): RowLevelEvaluation {
  const inWindows = labels.reduce((n, l) => n + l, 0)
  const base = { scored: scores.length, inWindows, learning, unscored }
  const undefinedWhy = inWindows === 0 ? 'no anomaly windows in the data' : inWindows === scores.length ? 'every scored row is in an anomaly window' : undefined
  if (undefinedWhy !== undefined) return { ...base, auc: Number.NaN, ap: Number.NaN, undefinedWhy }
  return { ...base, auc: rocAuc(scores, labels), ap: averagePrecision(scores, labels) }
}

/** Whether a reading of a machine at `ts` lies inside one of that machine's windows. */
function windowLookup (windows: readonly Episode[]): (machineId: string, ts: number) => boolean {
  const byMachine = new Map<string, Episode[]>()
  for (const w of windows) {
    const list = byMachine.get(w.machineId)
    if (list === undefined) byMachine.set(w.machineId, [w])
    else list.push(w)
  }
  return (machineId, ts) => byMachine.get(machineId)?.some((w) => ts >= w.first && ts <= w.last) ?? false
}

function parseJson (path: string, text: string): Array<{ where: string, row: Record<string, unknown> }> {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new DataError(`${path}: not valid JSON (${(err as Error).message})`)
  }
  if (!Array.isArray(doc) || !doc.every((w) => typeof w === 'object' && w !== null)) throw new DataError(`${path}: expected a JSON array of windows ({"machine","start","end"})`)
  return (doc as Array<Record<string, unknown>>).map((row, i) => ({ where: `${path}, window ${i + 1}`, row }))
}

function parseCsv (path: string, text: string): Array<{ where: string, row: Record<string, unknown> }> {
  const lines = text.split(/\r?\n/).map((l, i) => ({ line: i + 1, text: l })).filter((l) => l.text.trim() !== '')
  const header = lines.shift()?.text ?? ''
  const names = header.split(',').map((h) => h.trim())
  for (const need of ['start', 'end']) if (!names.includes(need)) throw new DataError(`${path}: no "${need}" column; the header is ${JSON.stringify(header)}`)
  return lines.map(({ line, text }) => {
    const values = text.split(',').map((v) => v.trim())
    if (values.length !== names.length) throw new DataError(`${path}, line ${line}: ${values.length} fields, the header has ${names.length}`)
    return { where: `${path}, line ${line}`, row: Object.fromEntries(values.map((v, i) => [names[i], v])) }
  })
}

function timeOf (value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value)
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (Number.isNaN(t)) throw new DataError(`${what} ${JSON.stringify(value)} is not a time (ISO 8601 or epoch milliseconds)`)
  return t
}

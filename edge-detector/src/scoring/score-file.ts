import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { once } from 'node:events'
import type { AnomalyEvent, MachineState, RejectedMessage } from '@factory-edge/shared/contract'
import { openDataFile, openSignalCsv, DataError } from '@factory-edge/shared/data'
import type { Model } from '@factory-edge/shared/ml'
import type { ProfileSet } from '@factory-edge/shared/profiles'
import { DetectorPipeline, type BaselineHooks, type Outcome, type PipelineSink } from '../pipeline/pipeline.js'
import type { AlertPolicy } from '../pipeline/alert-policy.js'

/** Columns of the scored file, one row per input row, in input order. */
export const SCORE_COLUMNS = ['line', 'ts', 'machineId', 'state', 'score', 'threshold', 'alert', 'kind', 'reason'] as const

export interface ScoreFileOptions {
  /** The detector's model: for the built-in ai4i profile, or the profiles scored by it. */
  model?: Model
  /**
   * Sensor profiles: the file is then read as any time-series CSV (a timestamp column, signals by
   * header) and each machine scored (or learning) by its profile. Without them it is an AI4I-shaped file.
   */
  profiles?: ProfileSet
  /** Models of the profiles that name a file of their own. */
  profileModels?: ReadonlyMap<string, Model>
  /** How machines of learning profiles learn (and whether their baselines are loaded from disk). */
  baselines?: BaselineHooks
  /** Columns of a time-series CSV (with profiles). */
  timestampColumn?: string
  machineColumn?: string
  columns?: readonly string[]
  alert?: Partial<AlertPolicy>
  /** Write a `rejected` row for a row the reader cannot use instead of stopping at it. */
  skipBadRows?: boolean
  /** Machine id of the rows of a file without a machine column. */
  machineId?: string
}

export interface ScoreSummary {
  rows: number
  scored: number
  rejected: number
  raised: number
  cleared: number
}

/** Lines buffered before a write: enough that writing costs little per row, few enough to die young (docs/profiles.md, Scoring a file). */
const CHUNK_ROWS = 1000

/** Remembers the alert change and the reject reason of the reading being processed. */
class RowSink implements PipelineSink {
  event: AnomalyEvent | undefined
  rejectReason: string | undefined
  anomaly (event: AnomalyEvent, _state: MachineState): void {
    this.event = event
  }

  rejected (message: RejectedMessage): void {
    this.rejectReason = message.reason
  }

  line (_text: string): void {}
  evicted (_machineId: string, _tracked: number): void {}
  tracked (_state: MachineState): void {}
}

/**
 * The detector's own pipeline for the rows of a data file, one at a time, saying for each what became of
 * it: its outcome, the alert change it caused and, when refused, why.
 */
export class RowScorer {
  readonly pipeline: DetectorPipeline
  private readonly sink = new RowSink()

  constructor (options: Pick<ScoreFileOptions, 'model' | 'profiles' | 'profileModels' | 'baselines' | 'alert'>) {
    this.pipeline = new DetectorPipeline({ ...options, sink: this.sink, points: false, maxMachines: 100_000 })
  }

  /**
   * Processes one row (`trusted`: already checked against its contract by the shared data reader);
   * {@link event} and {@link rejectReason} then describe it.
   */
  process (r: Record<string, unknown>, trusted: boolean): Outcome {
    this.sink.event = undefined
    this.sink.rejectReason = undefined
    return this.pipeline.processRecord(r, trusted)
  }

  get event (): AnomalyEvent | undefined {
    return this.sink.event
  }

  get rejectReason (): string | undefined {
    return this.sink.rejectReason
  }

  /** The raw anomaly score of the row just scored (before the alert policy's calibration). */
  get score (): number {
    return this.pipeline.alerts.lastScore[this.pipeline.lastSlot]
  }
}

/**
 * Scores a data file with the detector's own pipeline (the same windows, features, scores, alert policy
 * and sensor checks as the service; the rows are checked against the contract by the shared data
 * reader, which a row the service would refuse does not pass either), without a broker, in file order,
 * and writes one CSV row per input row. Deterministic: the same file and model give the same output.
 */
export async function scoreFile (input: string, output: string, options: ScoreFileOptions): Promise<ScoreSummary> {
  const scorer = new RowScorer(options)
  await mkdir(dirname(output), { recursive: true })
  const out = createWriteStream(output)
  const summary: ScoreSummary = { rows: 0, scored: 0, rejected: 0, raised: 0, cleared: 0 }
  let lines: string[] = [SCORE_COLUMNS.join(',')]
  const flush = async (): Promise<void> => {
    if (lines.length === 0) return
    const text = lines.join('\n') + '\n'
    lines = []
    if (!out.write(text)) await once(out, 'drain')
  }
  // The reader reports a part's bad rows before it returns the part's good ones: they wait here, in line
  // order, until the good rows before them are written, so the output keeps the input's order.
  let bad: Array<{ line: number, text: string }> = []
  let nextBad = 0
  let badAdded = false
  const onBad = (line: number, reason: string): void => {
    if (options.skipBadRows !== true) throw new DataError(`${input}, line ${line}: ${reason} (--skip-bad-rows writes it as a rejected row and goes on)`)
    summary.rows++
    summary.rejected++
    bad.push({ line, text: `${line},,,rejected,,,,,${csvText(reason)}` })
    badAdded = true
  }
  const writeBadBefore = (line: number): void => {
    if (badAdded) {
      bad = bad.slice(nextBad).sort((a, b) => a.line - b.line)
      nextBad = 0
      badAdded = false
    }
    while (nextBad < bad.length && bad[nextBad].line < line) lines.push(bad[nextBad++].text)
  }
  try {
    for await (const batch of await inputBatches(input, options, onBad)) {
      const { records, lines: at, trusted } = batch
      for (let i = 0; i < records.length; i++) {
        writeBadBefore(at[i])
        summary.rows++
        const outcome = scorer.process(records[i], trusted)
        lines.push(rowOf(at[i], records[i], outcome, scorer, summary))
      }
      if (lines.length >= CHUNK_ROWS) await flush()
    }
    writeBadBefore(Infinity)
    await flush()
  } finally {
    out.end()
    await once(out, 'close')
  }
  return summary
}

/** Rows of an input file: the readings as records, their lines, and whether the reader already checked them. */
export interface InputBatch { records: Array<Record<string, unknown>>, lines: number[], trusted: boolean }

/**
 * The rows of a readings file, a part at a time (a bad row goes to `onBad` before its part is returned):
 * any time-series CSV with profiles, an AI4I-shaped file without.
 */
export async function inputBatches (input: string, options: ScoreFileOptions, onBad: (line: number, reason: string) => void): Promise<AsyncIterable<InputBatch>> {
  return options.profiles !== undefined ? await signalBatches(input, options, onBad) : await ai4iBatches(input, options, onBad)
}

/** An AI4I-shaped file (CSV or NDJSON), rows checked against the contract by the shared data reader. */
async function ai4iBatches (input: string, options: ScoreFileOptions, onBad: (line: number, reason: string) => void): Promise<AsyncIterable<InputBatch>> {
  const file = await openDataFile(input, { machineId: options.machineId, onBad })
  return (async function * () {
    for await (const batch of file.batches()) yield { records: batch as unknown as Array<Record<string, unknown>>, lines: batch.map((r) => r.line), trusted: true }
  })()
}

/** Any time-series CSV, each row a payload for its machine's profile to validate. */
async function signalBatches (input: string, options: ScoreFileOptions, onBad: (line: number, reason: string) => void): Promise<AsyncIterable<InputBatch>> {
  const file = await openSignalCsv(input, { machineId: options.machineId ?? 'machine-1', timestampColumn: options.timestampColumn, machineColumn: options.machineColumn, columns: options.columns, onBad })
  return (async function * () {
    for await (const batch of file.batches()) yield { records: batch.map((r) => r.telemetry), lines: batch.map((r) => r.line), trusted: false }
  })()
}

function rowOf (line: number, r: Record<string, unknown>, outcome: Outcome, scorer: RowScorer, summary: ScoreSummary): string {
  const pipeline = scorer.pipeline
  const head = `${line},${r.ts as number},${csvText(r.machineId as string)}`
  if (outcome === 'rejected') {
    summary.rejected++
    return `${head},rejected,,,,,${scorer.rejectReason ?? ''}`
  }
  if (outcome !== 'scored') return `${head},${outcome},,,,,`
  summary.scored++
  const slot = pipeline.lastSlot
  const threshold = pipeline.modelOf(slot)?.threshold ?? ''
  const state = pipeline.alerts.isRaised(slot) ? 'anomalous' : pipeline.sensors.isRaised(slot) ? 'sensor_fault' : 'normal'
  const e = scorer.event
  if (e?.state === 'raised') summary.raised++
  else if (e?.state === 'cleared') summary.cleared++
  return `${head},${state},${scorer.score},${threshold},${e?.state ?? ''},${e?.kind ?? ''},`
}

/** A CSV field: quoted when it holds a comma, a quote or a line break. */
function csvText (text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

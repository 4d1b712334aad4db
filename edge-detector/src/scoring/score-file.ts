import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { AnomalyEvent, MachineState, RejectedMessage } from '@factory-edge/shared/contract'
import { openDataFile, DataError, type DataRecord } from '@factory-edge/shared/data'
import type { Model } from '@factory-edge/shared/ml'
import { DetectorPipeline, type Outcome, type PipelineSink } from '../pipeline/pipeline.js'
import type { AlertPolicy } from '../pipeline/alert-policy.js'

/** Columns of the scored file, one row per input row, in input order. */
export const SCORE_COLUMNS = ['line', 'ts', 'machineId', 'state', 'score', 'threshold', 'alert', 'kind', 'reason'] as const

export interface ScoreFileOptions {
  model: Model
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

/** Lines buffered before a write: large enough that writing costs little per row. */
const CHUNK_ROWS = 10_000

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

  constructor (model: Model, alert?: Partial<AlertPolicy>) {
    this.pipeline = new DetectorPipeline({ model, sink: this.sink, points: false, maxMachines: 100_000, alert })
  }

  /** Processes one row; {@link event} and {@link rejectReason} then describe it. */
  process (r: DataRecord): Outcome {
    this.sink.event = undefined
    this.sink.rejectReason = undefined
    return this.pipeline.processRecord(r as unknown as Record<string, unknown>, true)
  }

  get event (): AnomalyEvent | undefined {
    return this.sink.event
  }

  get rejectReason (): string | undefined {
    return this.sink.rejectReason
  }
}

/**
 * Scores a data file with the detector's own pipeline (the same windows, features, scores, alert policy
 * and sensor checks as the service; the rows are checked against the contract by the shared data
 * reader, which a row the service would refuse does not pass either), without a broker, in file order,
 * and writes one CSV row per input row. Deterministic: the same file and model give the same output.
 */
export async function scoreFile (input: string, output: string, options: ScoreFileOptions): Promise<ScoreSummary> {
  const scorer = new RowScorer(options.model, options.alert)
  const out = createWriteStream(output)
  const summary: ScoreSummary = { rows: 0, scored: 0, rejected: 0, raised: 0, cleared: 0 }
  let lines: string[] = [SCORE_COLUMNS.join(',')]
  const flush = async (): Promise<void> => {
    if (lines.length === 0) return
    const text = lines.join('\n') + '\n'
    lines = []
    if (!out.write(text)) await once(out, 'drain')
  }
  const file = await openDataFile(input, {
    machineId: options.machineId,
    onBad: (line, reason) => {
      if (options.skipBadRows !== true) throw new DataError(`${input}, line ${line}: ${reason} (--skip-bad-rows writes it as a rejected row and goes on)`)
      summary.rows++
      summary.rejected++
      lines.push(`${line},,,rejected,,,,,${csvText(reason)}`)
    }
  })
  try {
    for await (const r of file.records()) {
      summary.rows++
      const outcome = scorer.process(r)
      lines.push(rowOf(r, outcome, scorer, summary))
      if (lines.length >= CHUNK_ROWS) await flush()
    }
    await flush()
  } finally {
    out.end()
    await once(out, 'close')
  }
  return summary
}

function rowOf (r: DataRecord, outcome: Outcome, scorer: RowScorer, summary: ScoreSummary): string {
  const pipeline = scorer.pipeline
  const head = `${r.line},${r.ts},${csvText(r.machineId)}`
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
  return `${head},${state},${pipeline.alerts.lastScore[slot]},${threshold},${e?.state ?? ''},${e?.kind ?? ''},`
}

/** A CSV field: quoted when it holds a comma, a quote or a line break. */
function csvText (text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

import { join } from 'node:path'
import { writeFileAtomic, type Model } from '@factory-edge/shared/ml'
import type { Dataset } from './dataset.js'
import { prCurve, rocCurve, type CurvePoint, type Evaluation } from './evaluation.js'
import { renderReportHtml } from './report-html.js'
import { HISTOGRAM_BINS, type Histogram, type TrainingReport } from './report-schema.js'

const CURVE_POINTS = 200

export interface ReportInput {
  dataset: Dataset
  model: Model
  modelPath: string
  scores: Float64Array
  evaluation: Evaluation | null
  originalDesign: Evaluation | null
  timings: { loadMs: number, featuresMs: number, trainMs: number }
}

/** Assembles the report of a training run. */
export function buildReport (input: ReportInput): TrainingReport {
  const { dataset, model, scores } = input
  const label = dataset.label
  return {
    createdAt: model.createdAt,
    source: dataset.source,
    rows: dataset.rows,
    skippedRows: dataset.skipped.count,
    skippedExamples: dataset.skipped.examples,
    syntheticHumidity: dataset.syntheticHumidity,
    model: { path: input.modelPath, version: model.version, threshold: model.threshold, options: model.options, featureSpec: model.featureSpec, features: model.summary },
    timings: input.timings,
    evaluation: input.evaluation,
    originalDesign: input.originalDesign,
    curves: label === null ? null : { roc: thin(rocCurve(scores, label)), pr: thin(prCurve(scores, label)) },
    histogram: histogram(scores, label, model.threshold)
  }
}

/** Keeps at most CURVE_POINTS points, always the first and last, so the report stays small. */
function thin (points: CurvePoint[]): CurvePoint[] {
  if (points.length <= CURVE_POINTS) return points
  const step = (points.length - 1) / (CURVE_POINTS - 1)
  return Array.from({ length: CURVE_POINTS }, (_, i) => points[Math.round(i * step)])
}

/** Score histogram of normal rows and failures over a common range that includes the threshold. */
export function histogram (scores: Float64Array, label: Uint8Array | null, threshold: number): Histogram {
  let lo = threshold
  let hi = threshold
  for (const s of scores) {
    if (s < lo) lo = s
    if (s > hi) hi = s
  }
  if (hi === lo) hi = lo + 1e-9
  const width = (hi - lo) / HISTOGRAM_BINS
  const normal = new Array<number>(HISTOGRAM_BINS).fill(0)
  const failures = new Array<number>(HISTOGRAM_BINS).fill(0)
  for (let i = 0; i < scores.length; i++) {
    const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((scores[i] - lo) / width))
    if (label !== null && label[i] === 1) failures[bin]++
    else normal[bin]++
  }
  return { edges: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => lo + i * width), normal, failures }
}

/** Writes report.json and report.html into `dir`; returns their paths. */
export async function writeReports (dir: string, report: TrainingReport): Promise<{ json: string, html: string }> {
  const json = join(dir, 'report.json')
  const html = join(dir, 'report.html')
  await writeFileAtomic(json, JSON.stringify(report, null, 1) + '\n')
  await writeFileAtomic(html, renderReportHtml(report))
  return { json, html }
}

import type { FeatureSpec, FeatureSummary, ForestOptions } from '@factory-edge/shared/ml'
import type { CurvePoint, Evaluation } from './evaluation.js'

/** The shape of results/report.json, shared by the report's builder and its HTML page. */

export const HISTOGRAM_BINS = 40

export interface Histogram {
  /** Lower edge of each bin, then the upper edge of the last: bins + 1 values. */
  edges: number[]
  normal: number[]
  failures: number[]
}

/** Everything a training run produced, as written to results/report.json. */
export interface TrainingReport {
  createdAt: string
  source: string
  rows: number
  skippedRows: number
  skippedExamples: string[]
  syntheticHumidity: boolean
  model: { path: string, version: string, threshold: number, options: ForestOptions, featureSpec: FeatureSpec, features: readonly FeatureSummary[] }
  timings: { loadMs: number, featuresMs: number, trainMs: number }
  /** Null when the training data has no labels. */
  evaluation: Evaluation | null
  /** The original design's features (temperature, rpm, humidity) on the same rows, for comparison. */
  originalDesign: Evaluation | null
  curves: { roc: CurvePoint[], pr: CurvePoint[] } | null
  histogram: Histogram
}

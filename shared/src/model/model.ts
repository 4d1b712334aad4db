import { createHash } from 'node:crypto'
import { IsolationForest, type ForestOptions } from '../forest/index.js'
import { describeFeature, validateFeatureSpec, SIGNALS, type FeatureSpec, type SignalDescription } from '../features/index.js'
import { encodeForest } from './forest-codec.js'
import { TrainingRange } from './training-range.js'

export const MODEL_FORMAT = 'factory-edge/isolation-forest'
/** Version 2: pre-order trees with implicit children and external-node sizes (version 1 stored raw node arrays). */
export const MODEL_FORMAT_VERSION = 2

/** Training-data summary of one feature, stored so that operators can see what "normal" looked like. */
export interface FeatureSummary {
  name: string
  unit: string
  description: string
  mean: number
  std: number
  min: number
  max: number
}

/** Where the training data came from. */
export interface TrainingInfo {
  /** Rows the forest was trained on. */
  rows: number
  source: string
  /** Rows left out because they held a non-finite value (a self-learned baseline counts them); absent when none were. */
  dropped?: number
  /** Learning rows left out as the most anomalous (a self-learned baseline's trim); absent when none were. */
  trimmed?: number
}

/** The signals feature names are described with: AI4I's by default, a sensor profile's `catalog` otherwise. */
export type FeatureCatalog = Readonly<Record<string, SignalDescription>>

/** A trained model: the forest plus everything the detector needs to compute its inputs. */
export class Model {
  /** Content hash: equal models have equal versions. */
  readonly version: string
  /** The training range of each feature, beyond which the forest's score is extended. */
  readonly range: TrainingRange

  constructor (
    readonly forest: IsolationForest,
    readonly featureSpec: FeatureSpec,
    readonly summary: readonly FeatureSummary[],
    readonly training: TrainingInfo,
    readonly createdAt: string
  ) {
    if (forest.nFeatures !== featureSpec.features.length) {
      throw new Error(`forest has ${forest.nFeatures} features but the feature specification names ${featureSpec.features.length}`)
    }
    const content = { f: encodeForest(forest.state()), t: forest.threshold, o: forest.options, s: featureSpec }
    this.version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12)
    this.range = new TrainingRange(summary)
  }

  /** Anomaly score of one row (at `offset` in a row-major matrix): the forest's, extended beyond the training range. */
  score (row: ArrayLike<number>, offset = 0): number {
    return this.range.extend(this.forest.score(row, offset), this.range.excess(row, offset))
  }

  /** Scores every row of a row-major matrix, as {@link score} does. */
  scoreBatch (data: Float64Array, out?: Float64Array): Float64Array {
    const scores = this.forest.scoreBatch(data, out)
    const n = this.forest.nFeatures
    for (let r = 0; r < data.length / n; r++) scores[r] = this.range.extend(scores[r], this.range.excess(data, r * n))
    return scores
  }

  /** Each feature's share of a row's score (summing to 1), the training-range excess included. */
  contributions (row: ArrayLike<number>, out: Float64Array, offset = 0): Float64Array {
    this.forest.contributions(row, out, offset)
    return this.range.blendContributions(row, this.forest.score(row, offset), out, offset)
  }

  get threshold (): number {
    return this.forest.threshold
  }

  get options (): ForestOptions {
    return this.forest.options
  }
}

/** Computes the per-feature summary of a row-major training matrix; units and descriptions come from `catalog`. */
export function summarise (spec: FeatureSpec, data: Float64Array, catalog: FeatureCatalog = SIGNALS): FeatureSummary[] {
  const n = spec.features.length
  const rows = data.length / n
  return spec.features.map((name, f) => {
    const info = describeFeature(name, catalog)
    let sum = 0
    let min = Infinity
    let max = -Infinity
    for (let r = 0; r < rows; r++) {
      const v = data[r * n + f]
      sum += v
      if (v < min) min = v
      if (v > max) max = v
    }
    const mean = rows > 0 ? sum / rows : 0
    let sq = 0
    for (let r = 0; r < rows; r++) sq += (data[r * n + f] - mean) ** 2
    return { name, unit: info.unit, description: info.description, mean, std: rows > 1 ? Math.sqrt(sq / (rows - 1)) : 0, min, max }
  })
}

/** Trains a forest on a feature matrix and wraps it as a model. */
export function trainModel (
  spec: FeatureSpec,
  data: Float64Array,
  options: Partial<ForestOptions> = {},
  meta: { source?: string, createdAt?: string, catalog?: FeatureCatalog, dropped?: number } = {}
): Model {
  const clean = validateFeatureSpec(spec, meta.catalog)
  const forest = IsolationForest.fit(data, clean.features.length, options)
  const training: TrainingInfo = { rows: data.length / clean.features.length, source: meta.source ?? 'unknown' }
  if (meta.dropped !== undefined && meta.dropped > 0) training.dropped = meta.dropped
  return new Model(
    forest,
    clean,
    summarise(clean, data, meta.catalog),
    training,
    meta.createdAt ?? defaultCreatedAt()
  )
}

/** Honours SOURCE_DATE_EPOCH so that builds and model files can be reproduced byte for byte. */
export function defaultCreatedAt (): string {
  const epoch = process.env.SOURCE_DATE_EPOCH
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString()
  return new Date().toISOString()
}

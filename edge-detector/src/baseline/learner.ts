/**
 * Learning one machine's baseline: its own Isolation Forest, trained on the feature rows it produced while
 * learning, with a threshold chosen from its own learning scores. See docs/self-learning.md for the rule
 * and the measurements behind the forest's size.
 */
import { createHash } from 'node:crypto'
import {
  defaultCreatedAt, ForestInputError, IsolationForest, Model, quantile, summarise, validateFeatureSpec,
  type FeatureCatalog, type FeatureSpec, type ForestOptions, type TrainingInfo
} from '@factory-edge/shared/ml'
import { DETECTOR_DEFAULTS } from '../defaults.js'

/** What the learner needs of a sensor profile (a `SensorProfile` is one): its name and its signals. */
export interface BaselineProfile {
  readonly name: string
  readonly catalog: FeatureCatalog
  /** The profile's own alert margin, when it sets one: the threshold rule's calibration margin. */
  readonly alertMargin?: number
  /** The profile's `learn.trim`, when it sets one. */
  readonly learnTrim?: number
}

/** Whose baseline is learned, and what the model file records about it. */
export interface LearnMeta {
  machineId: string
  profile: BaselineProfile
  /** Recorded as the model's training source; default `learned by <machineId> (profile <name>)`. */
  source?: string
  /**
   * When learning ended, as reading time (ms since the epoch, or an ISO 8601 text): the model's
   * `createdAt`. Give the time of the last learning reading so that the same readings give the same file
   * byte for byte; default now (or SOURCE_DATE_EPOCH).
   */
  learnedAt?: number | string
}

/** The forest's size and the threshold rule; the defaults are DETECTOR_DEFAULTS.baseline's. */
export interface LearnOptions {
  trees: number
  /** Rows each tree is grown on (ψ); fewer when fewer rows were learned. */
  sampleSize: number
  /** Quantile of the machine's own learning scores the threshold starts from. */
  quantile: number
  /** Added to that quantile. */
  thresholdMargin: number
  /**
   * The alert policy's per-machine calibration margin (`--alert-baseline-margin`): the threshold is at
   * least the mean learning score plus this, so that calibration, which starts a machine's baseline at
   * threshold − margin, never starts it below the machine's usual score.
   */
  calibrationMargin: number
  /**
   * Share of the learning rows left out of the baseline: those a first forest, grown on all of them,
   * scores highest. A machine rarely learns through hours free of trouble; see docs/self-learning.md.
   */
  trim: number
}

export const DEFAULT_LEARN_OPTIONS: Readonly<LearnOptions> = {
  trees: DETECTOR_DEFAULTS.baseline.trees,
  sampleSize: DETECTOR_DEFAULTS.baseline.sampleSize,
  quantile: DETECTOR_DEFAULTS.baseline.quantile,
  thresholdMargin: DETECTOR_DEFAULTS.baseline.thresholdMargin,
  calibrationMargin: DETECTOR_DEFAULTS.alert.baselineMargin,
  trim: DETECTOR_DEFAULTS.baseline.trim
}

/** Fewest usable rows a baseline is learned from (a forest of one row scores everything 0.5). */
export const MIN_LEARN_ROWS = 2

/** The forest's seed: a hash of the profile and machine id, so that the same machine's same readings give the same forest. */
export function baselineSeed (machineId: string, profileName: string): number {
  // Profile names cannot hold a newline, so the pair is unambiguous.
  return createHash('sha256').update(`${profileName}\n${machineId}`).digest().readUInt32BE(0) >>> 1
}

/**
 * The threshold rule: the `quantile` of the machine's own learning scores plus `thresholdMargin`, and at
 * least their mean plus `calibrationMargin`. Why each part: docs/self-learning.md.
 */
export function chooseThreshold (scores: Float64Array, options: Pick<LearnOptions, 'quantile' | 'thresholdMargin' | 'calibrationMargin'>): number {
  let sum = 0
  for (let i = 0; i < scores.length; i++) sum += scores[i]
  const mean = sum / scores.length
  return Math.max(quantile(scores, options.quantile) + options.thresholdMargin, mean + options.calibrationMargin)
}

/** The rows of a row-major matrix whose values are all finite, and how many were left out. */
export function finiteRows (rows: Float64Array, nFeatures: number): { rows: Float64Array, dropped: number } {
  const total = rows.length / nFeatures
  const keep = new Uint8Array(total)
  let kept = 0
  for (let r = 0, base = 0; r < total; r++, base += nFeatures) {
    let finite = 1
    for (let f = 0; f < nFeatures; f++) if (!Number.isFinite(rows[base + f])) finite = 0
    keep[r] = finite
    kept += finite
  }
  if (kept === total) return { rows, dropped: 0 }
  const out = new Float64Array(kept * nFeatures)
  for (let r = 0, k = 0; r < total; r++) {
    if (keep[r] === 1) out.set(rows.subarray(r * nFeatures, (r + 1) * nFeatures), nFeatures * k++)
  }
  return { rows: out, dropped: total - kept }
}

/**
 * Learns a machine's baseline from its own feature rows (row-major, `spec.features.length` values per
 * row, computed with the profile's catalog). Rows holding NaN or ±Infinity are left out and counted in
 * `model.training.dropped`. Throws FeatureSpecError for a spec the profile cannot compute and
 * ForestInputError when fewer than {@link MIN_LEARN_ROWS} usable rows remain.
 */
export function learnBaseline (spec: FeatureSpec, rows: Float64Array, meta: LearnMeta, options: Partial<LearnOptions> = {}): Model {
  const o = { ...DEFAULT_LEARN_OPTIONS, ...options }
  if (!(o.quantile > 0.5 && o.quantile < 1)) throw new RangeError(`baseline quantile must be in (0.5, 1), got ${o.quantile}`)
  if (!(o.trim >= 0 && o.trim < 0.5)) throw new RangeError(`baseline trim must be in [0, 0.5), got ${o.trim}`)
  const clean = validateFeatureSpec(spec, meta.profile.catalog)
  const n = clean.features.length
  if (rows.length % n !== 0) throw new ForestInputError(`${meta.machineId}: ${rows.length} learning values are not whole rows of ${n} features`)
  const usable = finiteRows(rows, n)
  const count = usable.rows.length / n
  if (count < MIN_LEARN_ROWS) {
    throw new ForestInputError(`${meta.machineId}: ${count} of ${rows.length / n} learning rows are usable (${usable.dropped} held a value that is not a finite number); at least ${MIN_LEARN_ROWS} are needed`)
  }
  const forestOptions: ForestOptions = {
    nEstimators: o.trees,
    maxSamples: o.sampleSize,
    // Records the quantile the threshold starts from; the threshold itself is set below.
    contamination: Number((1 - o.quantile).toPrecision(12)),
    seed: baselineSeed(meta.machineId, meta.profile.name)
  }
  const kept = o.trim > 0 ? trimmedRows(usable.rows, n, o.trim, forestOptions) : usable.rows
  const grown = IsolationForest.fit(kept, n, { ...forestOptions, contamination: 'auto' })
  const threshold = chooseThreshold(grown.scoreBatch(kept), o)
  // Compact, as the store loads it: the detector holds a baseline per machine.
  const forest = new IsolationForest({ ...grown.state(), threshold, options: forestOptions }, 'compact')
  const keptCount = kept.length / n
  const training: TrainingInfo = { rows: keptCount, source: meta.source ?? `learned by ${meta.machineId} (profile ${meta.profile.name})` }
  if (usable.dropped > 0) training.dropped = usable.dropped
  if (keptCount < count) training.trimmed = count - keptCount
  return new Model(forest, clean, summarise(clean, kept, meta.profile.catalog), training, createdAtOf(meta.learnedAt))
}

/**
 * The rows left after trimming: a forest grown on all of them scores each, and the `trim` share that
 * scores highest is left out (rows tied with the cut stay). A failure that happens while the machine
 * learns then does not become part of its normal, nor widen the range its scores are extended beyond.
 */
export function trimmedRows (rows: Float64Array, nFeatures: number, trim: number, options: ForestOptions): Float64Array {
  const count = rows.length / nFeatures
  const scores = IsolationForest.fit(rows, nFeatures, { ...options, contamination: 'auto' }).scoreBatch(rows)
  const cut = quantile(scores, 1 - trim)
  let kept = 0
  for (let r = 0; r < count; r++) if (scores[r] <= cut) kept++
  if (kept < MIN_LEARN_ROWS) return rows
  const out = new Float64Array(kept * nFeatures)
  for (let r = 0, k = 0; r < count; r++) {
    if (scores[r] <= cut) out.set(rows.subarray(r * nFeatures, (r + 1) * nFeatures), nFeatures * k++)
  }
  return out
}

function createdAtOf (learnedAt: number | string | undefined): string {
  if (learnedAt === undefined) return defaultCreatedAt()
  const date = new Date(learnedAt)
  if (Number.isNaN(date.getTime())) throw new RangeError(`learnedAt must be a time, got ${JSON.stringify(learnedAt)}`)
  return date.toISOString()
}

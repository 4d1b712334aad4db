import { FeatureExtractor, type FeatureSpec, type Model } from '@factory-edge/shared/ml'
import type { SensorProfile } from '@factory-edge/shared/profiles'
import { featureFieldKeys, signalFieldKeys } from './line-protocol.js'
import type { PointsContext } from './machine-points.js'
import { FeatureReservoir } from './reservoir.js'

/** What ends a machine's learning: every criterion given must be met. */
export interface LearnGoal {
  readings: number | undefined
  durationMs: number | undefined
}

/**
 * Everything the pipeline runs for the machines of one sensor profile: the buffer its payloads are
 * decoded into, its feature extractor and scratch rows, its field keys for InfluxDB, and either the
 * model its machines share (a `model` policy) or the goal of the baseline each machine learns (`learn`).
 * Built once per profile, and again when the shared model's feature specification changes.
 */
export class ProfileLane implements PointsContext {
  readonly profileName: string
  /** Raw signals, the first values of {@link values}. */
  readonly rawCount: number
  /** The decoded reading: raw signals, then derived ones. */
  readonly values: Float64Array
  readonly signalKeys: readonly string[]
  readonly learn: LearnGoal | undefined
  extractor!: FeatureExtractor<Float64Array>
  featureKeys: readonly string[] = []
  features = new Float64Array(0)
  contributions = new Float64Array(0)
  /** Recent normal feature rows of the shared model's machines, for scheduled retraining. */
  reservoir = new FeatureReservoir(0, 0)
  private sharedModel: Model | undefined

  constructor (
    readonly profile: SensorProfile,
    readonly index: number,
    /** The shared model (`model` policy); undefined when the machines learn their own. */
    model: Model | undefined,
    private readonly reservoirSize: number
  ) {
    this.profileName = profile.name
    this.rawCount = profile.definition.signals.length
    this.values = new Float64Array(profile.signalNames.length)
    this.signalKeys = signalFieldKeys(profile.signalNames.slice(0, this.rawCount))
    const policy = profile.definition.model
    this.learn = policy.kind === 'learn' ? { readings: policy.readings, durationMs: policy.durationMs } : undefined
    if (this.learn === undefined && model === undefined) throw new Error(`profile ${profile.name} has a model policy but no model was given`)
    this.sharedModel = model
    this.useSpec(model?.featureSpec ?? profile.features)
  }

  /** The model the lane's machines share; undefined for a learning profile. */
  get model (): Model | undefined {
    return this.sharedModel
  }

  /** Swaps the shared model; true when its feature specification differs (windows must start over). */
  setModel (model: Model): boolean {
    const changed = JSON.stringify(model.featureSpec) !== JSON.stringify(this.extractor.spec)
    this.sharedModel = model
    if (changed) this.useSpec(model.featureSpec)
    return changed
  }

  private useSpec (spec: FeatureSpec): void {
    // The model's features are computed over the profile's signals: a model trained on a signal the
    // profile does not have is refused here, with the feature and the profile named.
    this.extractor = new FeatureExtractor(spec, this.profile.catalog)
    this.featureKeys = featureFieldKeys(this.extractor.spec.features)
    this.features = new Float64Array(this.extractor.size)
    this.contributions = new Float64Array(this.extractor.size)
    this.reservoir = new FeatureReservoir(this.learn === undefined ? this.reservoirSize : 0, this.extractor.size)
  }
}

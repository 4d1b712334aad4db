/**
 * A profile compiled once at start: its machine matcher, the expressions of its derived signals, the
 * signal catalog its features are computed over, and its telemetry validator.
 */
import picomatch from 'picomatch'
import { ExpressionError, FeatureSpecError } from '../errors.js'
import type { SignalCatalog } from '../features/signals.js'
import { describeFeature, validateFeatureSpec, type FeatureSpec } from '../features/spec.js'
import { compileExpression, expressionSignals, parseExpression, type CompiledExpression } from './expression.js'
import { ProfileLocation, type ProfileDefinition } from './definition.js'
import { TelemetryValidator } from './telemetry-validator.js'

export class SensorProfile {
  readonly name: string
  /** Every signal in value order: the raw signals, then the derived ones. */
  readonly signalNames: readonly string[]
  /** The catalog for FeatureExtractor<Float64Array>: each signal read from its slot of the value vector. */
  readonly catalog: SignalCatalog<Float64Array>
  readonly features: FeatureSpec
  readonly validator: TelemetryValidator
  /** The profile's alert margin (`alert.margin`), undefined when the detector's applies. */
  readonly alertMargin: number | undefined
  /** Share of the learning rows a baseline leaves out as the most anomalous (`learn.trim`), when the profile sets it. */
  readonly learnTrim: number | undefined
  /**
   * Slots of the optional signals that the features depend on (directly or through a derived signal):
   * a reading missing one of them is not scored (see {@link scorable}).
   */
  readonly optionalInputs: Int32Array
  private readonly matchers: Array<(id: string) => boolean>

  constructor (readonly definition: ProfileDefinition) {
    const at = new ProfileLocation(definition.source, definition.name)
    this.name = definition.name
    this.alertMargin = definition.alert.margin
    this.learnTrim = definition.model.kind === 'learn' ? definition.model.trim : undefined
    this.matchers = definition.machines.map((glob) => picomatch(glob))
    const known = definition.signals.map((s) => s.name)
    // Each slot's raw inputs, so that what a feature depends on is known through derived signals.
    const inputs: Array<Set<number>> = known.map((_, i) => new Set([i]))
    const derived: CompiledExpression[] = []
    for (const d of definition.derived) {
      let expr
      try {
        expr = parseExpression(d.expression, known)
      } catch (err) {
        if (err instanceof ExpressionError) throw at.at(`derived.${d.name}`).error(`expression ${JSON.stringify(d.expression)}: ${err.message}`)
        throw err
      }
      const raw = new Set<number>()
      for (const slot of expressionSignals(expr)) for (const i of inputs[slot]) raw.add(i)
      inputs.push(raw)
      derived.push(compileExpression(expr))
      known.push(d.name)
    }
    this.signalNames = known
    const catalog: Record<string, SignalCatalog<Float64Array>[string]> = {}
    const units = [...definition.signals.map((s) => s.unit), ...definition.derived.map((d) => d.unit)]
    const descriptions = [...definition.signals.map((s) => s.description), ...definition.derived.map((d) => d.description)]
    known.forEach((name, slot) => {
      catalog[name] = { unit: units[slot], description: descriptions[slot], compute: (v) => v[slot] }
    })
    this.catalog = catalog
    try {
      this.features = validateFeatureSpec(definition.features, catalog)
    } catch (err) {
      if (err instanceof FeatureSpecError) throw at.at('features').error(err.message)
      throw err
    }
    const optional = new Set<number>()
    for (const f of this.features.features) {
      for (const i of inputs[known.indexOf(describeFeature(f, catalog).signal)]) if (definition.signals[i].optional) optional.add(i)
    }
    this.optionalInputs = Int32Array.from([...optional].sort((a, b) => a - b))
    this.validator = new TelemetryValidator(definition.name, definition.signals, derived, definition.extraFields)
  }

  /** True when one of the profile's machine globs matches the id. */
  covers (machineId: string): boolean {
    for (let i = 0; i < this.matchers.length; i++) if (this.matchers[i](machineId)) return true
    return false
  }

  /** False when the reading's values (as written by the validator) miss an optional signal the features need. */
  scorable (values: Float64Array): boolean {
    for (let i = 0; i < this.optionalInputs.length; i++) if (Number.isNaN(values[this.optionalInputs[i]])) return false
    return true
  }
}

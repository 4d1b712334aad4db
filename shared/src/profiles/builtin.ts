/**
 * The built-in `ai4i` profile: today's contract (the AI4I 2020 fields of SENSOR_SCHEMAS, the derived
 * signals of SIGNALS written as expressions, DEFAULT_FEATURES, the detector's model file), covering every
 * machine. It is what runs when no profiles file is given.
 */
import { Type } from '@sinclair/typebox'
import { ProductType } from '../contract/schemas.js'
import { SENSOR_FIELDS, SENSOR_SCHEMAS } from '../contract/sensor-fields.js'
import { DEFAULT_FEATURES } from '../features/spec.js'
import { RPM_TO_RAD_PER_S, SIGNALS } from '../features/signals.js'
import type { DerivedDefinition, ProfileDefinition } from './definition.js'

export const BUILT_IN_SOURCE = 'built-in'

// The same arithmetic, in the same order, as SIGNALS' compute functions, so the values are bit-identical
// (String(x) of a double reads back as the same double).
const AI4I_DERIVED: Record<string, string> = {
  tempDelta: 'temperature - airTemperature',
  power: `torque * rpm * ${String(RPM_TO_RAD_PER_S)}`,
  strain: 'toolWear * torque',
  dissipation: '(temperature - airTemperature) * rpm'
}

function derived (name: keyof typeof SIGNALS): DerivedDefinition {
  return { name, unit: SIGNALS[name].unit, expression: AI4I_DERIVED[name], description: SIGNALS[name].description }
}

export const AI4I_PROFILE: ProfileDefinition = {
  name: 'ai4i',
  source: BUILT_IN_SOURCE,
  description: 'AI4I 2020 milling machines (the built-in contract)',
  machines: ['*'],
  signals: SENSOR_FIELDS.map((name) => ({
    name,
    unit: SIGNALS[name].unit,
    min: SENSOR_SCHEMAS[name].minimum as number,
    max: SENSOR_SCHEMAS[name].maximum as number,
    optional: false,
    description: SIGNALS[name].description
  })),
  derived: (['tempDelta', 'power', 'strain', 'dissipation'] as const).map(derived),
  features: { window: DEFAULT_FEATURES.window, features: [...DEFAULT_FEATURES.features] },
  featuresAuto: false,
  gapMs: undefined,
  model: { kind: 'file' },
  alert: {},
  extraFields: { productType: Type.Optional(ProductType) }
}

/** Built-in profiles by name: what `extends:` may name and what runs without a profiles file. */
export const BUILT_IN_PROFILES: ReadonlyMap<string, ProfileDefinition> = new Map([['ai4i', AI4I_PROFILE]])

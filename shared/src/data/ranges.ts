import { Telemetry } from '../messages/schemas.js'

/** The reading fields of a Telemetry message that features are computed from. */
export const READING_FIELDS = ['temperature', 'airTemperature', 'rpm', 'torque', 'toolWear', 'humidity'] as const
export type ReadingField = typeof READING_FIELDS[number]

/** Physically possible range of each reading, taken from the Telemetry schema so both agree. */
export const READING_RANGES: Record<ReadingField, { min: number, max: number }> = Object.fromEntries(
  READING_FIELDS.map((f) => {
    const schema = Telemetry.properties[f] as { minimum: number, maximum: number }
    return [f, { min: schema.minimum, max: schema.maximum }]
  })
) as Record<ReadingField, { min: number, max: number }>

/** Why a reading cannot be used, or undefined when it can. */
export function checkReading (field: ReadingField, value: number): string | undefined {
  const { min, max } = READING_RANGES[field]
  if (value < min || value > max) return `${value} is outside the possible range ${min} to ${max}`
  return undefined
}

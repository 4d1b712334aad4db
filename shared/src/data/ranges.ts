import { SENSOR_FIELDS, SENSOR_SCHEMAS, type SensorField } from '../contract/sensor-fields.js'

/** Physically possible range of each reading, taken from the Telemetry schema so both agree. */
export const READING_RANGES: Record<SensorField, { min: number, max: number }> = Object.fromEntries(
  SENSOR_FIELDS.map((f) => {
    const schema = SENSOR_SCHEMAS[f]
    return [f, { min: schema.minimum as number, max: schema.maximum as number }]
  })
) as Record<SensorField, { min: number, max: number }>

/** Why a reading cannot be used, or undefined when it can. */
export function checkReading (field: SensorField, value: number): string | undefined {
  const { min, max } = READING_RANGES[field]
  if (value < min || value > max) return `${value} is outside the possible range ${min} to ${max}`
  return undefined
}

import { Type } from '@sinclair/typebox'

/**
 * The sensor values of a telemetry message, each with its unit and physically possible range: the one
 * list of sensor fields. The Telemetry schema, the data reader, the features and the InfluxDB points
 * all take their fields from here.
 */
export const SENSOR_SCHEMAS = {
  temperature: Type.Number({ minimum: -50, maximum: 400, description: 'Process temperature in °C' }),
  airTemperature: Type.Number({ minimum: -60, maximum: 200, description: 'Air temperature in °C' }),
  rpm: Type.Number({ minimum: 0, maximum: 30000, description: 'Rotational speed in rpm (also the sound proxy)' }),
  torque: Type.Number({ minimum: 0, maximum: 2000, description: 'Torque in Nm' }),
  toolWear: Type.Number({ minimum: 0, maximum: 100000, description: 'Tool wear in minutes' }),
  humidity: Type.Number({ minimum: 0, maximum: 100, description: 'Relative humidity in % (synthetic)' })
}

export type SensorField = keyof typeof SENSOR_SCHEMAS

/** The sensor fields in message order. */
export const SENSOR_FIELDS = Object.keys(SENSOR_SCHEMAS) as readonly SensorField[]

/** The sensor values of one reading. */
export type ReadingValues = Record<SensorField, number>

import type { ReadingValues } from './sensor-fields.js'
import type { ProductType, Telemetry } from './schemas.js'

/** A reading of one machine, with at least the fields of a Telemetry message. */
export interface ReadingOf extends ReadingValues {
  ts: number
  seq: number
  productType?: ProductType
}

/** The Telemetry message of a reading: the schema's fields only, in its order (extra fields dropped). */
export function telemetryOf (machineId: string, r: ReadingOf): Telemetry {
  const t: Telemetry = {
    machineId,
    ts: r.ts,
    seq: r.seq,
    temperature: r.temperature,
    airTemperature: r.airTemperature,
    rpm: r.rpm,
    torque: r.torque,
    toolWear: r.toolWear,
    humidity: r.humidity
  }
  if (r.productType !== undefined) t.productType = r.productType
  return t
}

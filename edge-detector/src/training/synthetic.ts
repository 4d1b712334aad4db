import { generateTelemetry } from '@factory-edge/sensor-simulator'
import type { Telemetry } from '@factory-edge/shared'
import { DatasetBuilder, SENSOR_FIELDS, type Dataset } from './dataset.js'
import { DataError } from '@factory-edge/shared/data'

/** Produces `rows` simulated telemetry readings, deterministically for a seed. */
export type TelemetryGenerator = (rows: number, seed: number) => Iterable<Telemetry>

/** Machines the simulated training readings are spread over. */
const SYNTHETIC_MACHINES = 10

/** The sensor simulator's healthy machines: the same physics the live stream follows. */
const simulatorGenerator: TelemetryGenerator = (rows, seed) =>
  generateTelemetry({ machines: SYNTHETIC_MACHINES, readingsPerMachine: Math.ceil(rows / SYNTHETIC_MACHINES), seed })

/** A data set of simulated readings (unlabelled), for training without any file. */
export async function syntheticDataset (rows: number, seed: number, generate?: TelemetryGenerator): Promise<Dataset> {
  const source = generate ?? simulatorGenerator
  const builder = new DatasetBuilder()
  const values = new Float64Array(SENSOR_FIELDS.length)
  for (const t of source(rows, seed)) {
    for (let f = 0; f < SENSOR_FIELDS.length; f++) values[f] = t[SENSOR_FIELDS[f]]
    builder.push(values, builder.machineId(t.machineId), t.ts, 0, 0)
    if (builder.rows >= rows) break
  }
  if (builder.rows === 0) throw new DataError('the simulator produced no readings')
  return builder.build({ source: `synthetic:${rows}`, hasLabel: false, syntheticHumidity: false, skipped: { count: 0, examples: [] } })
}

import type { Telemetry } from '@factory-edge/shared/contract'
import { SENSOR_FIELDS } from '@factory-edge/shared/contract'
import { DatasetBuilder, type Dataset } from './dataset.js'
import { DataError } from '@factory-edge/shared/data'

/** Produces `rows` simulated telemetry readings, deterministically for a seed. */
export type TelemetryGenerator = (rows: number, seed: number) => Iterable<Telemetry>

/**
 * A data set of simulated readings (unlabelled), for training without any file. The caller brings the
 * generator (the launcher passes the sensor simulator's), so the detector does not depend on the simulator.
 */
export async function syntheticDataset (rows: number, seed: number, generate: TelemetryGenerator): Promise<Dataset> {
  const builder = new DatasetBuilder()
  const values = new Float64Array(SENSOR_FIELDS.length)
  for (const t of generate(rows, seed)) {
    for (let f = 0; f < SENSOR_FIELDS.length; f++) values[f] = t[SENSOR_FIELDS[f]]
    builder.push(values, builder.machineId(t.machineId), t.ts, 0, 0)
    if (builder.rows >= rows) break
  }
  if (builder.rows === 0) throw new DataError('the generator produced no readings')
  return builder.build({ source: `synthetic:${rows}`, hasLabel: false, syntheticHumidity: false, skipped: { count: 0, examples: [] } })
}

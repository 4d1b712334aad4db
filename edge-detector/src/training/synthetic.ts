import type { Telemetry } from '@factory-edge/shared'
import { DatasetBuilder, READING_FIELDS, type Dataset } from './dataset.js'
import { DataError } from './errors.js'

/** Produces `rows` simulated telemetry readings, deterministically for a seed. */
export type TelemetryGenerator = (rows: number, seed: number) => Iterable<Telemetry>

/**
 * SEAM: the sensor simulator's `generateTelemetry` (landing separately). Loaded lazily so that
 * training builds and runs without it; synthetic training fails with a clear message until it exists.
 */
async function simulatorGenerator (): Promise<TelemetryGenerator> {
  const name = '@factory-edge/sensor-simulator'
  let mod: Record<string, unknown>
  try {
    mod = await import(name) as Record<string, unknown>
  } catch (err) {
    throw new DataError(`synthetic training data needs the sensor simulator, which could not be loaded: ${(err as Error).message.split('\n')[0]}`)
  }
  const generate = mod.generateTelemetry
  if (typeof generate !== 'function') throw new DataError('synthetic training data needs generateTelemetry from @factory-edge/sensor-simulator, which this build does not export')
  return (rows, seed) => (generate as (o: { rows: number, seed: number }) => Iterable<Telemetry>)({ rows, seed })
}

/** A data set of simulated readings (unlabelled), for training without any file. */
export async function syntheticDataset (rows: number, seed: number, generate?: TelemetryGenerator): Promise<Dataset> {
  const source = generate ?? await simulatorGenerator()
  const builder = new DatasetBuilder()
  const values = new Float64Array(READING_FIELDS.length)
  for (const t of source(rows, seed)) {
    for (let f = 0; f < READING_FIELDS.length; f++) values[f] = t[READING_FIELDS[f]]
    builder.push(values, builder.machineId(t.machineId), t.ts, 0, 0)
    if (builder.rows >= rows) break
  }
  if (builder.rows === 0) throw new DataError('the simulator produced no readings')
  return builder.build({ source: `synthetic:${rows}`, hasLabel: false, syntheticHumidity: false, skipped: { count: 0, examples: [] } })
}

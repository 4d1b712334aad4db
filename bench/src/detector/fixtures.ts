/** Model and readings shared by the detector benchmarks and their child processes. */
import { type Telemetry } from '@factory-edge/shared/contract'
import { DEFAULT_FEATURES, FeatureExtractor, saveModel, trainModel, type FeatureSpec, type Model } from '@factory-edge/shared/ml'
import { generateTelemetry } from '@factory-edge/sensor-simulator'

/** Trains the benchmark model on simulated healthy readings, with the detector's own feature code. */
export function trainBenchModel (spec: FeatureSpec = DEFAULT_FEATURES): Model {
  const readings = generateTelemetry({ machines: 20, readingsPerMachine: 250, seed: 3 })
  const data = new FeatureExtractor(spec).rows(readings)
  return trainModel(spec, data, { nEstimators: 100, contamination: 0.01, seed: 1 }, { source: 'benchmark: simulated healthy readings' })
}

export async function writeBenchModel (path: string, spec?: FeatureSpec): Promise<Model> {
  const model = trainBenchModel(spec)
  await saveModel(path, model)
  return model
}

/** Readings of `machines` machines, machine by machine per cycle, with timestamps from `startTs`. */
export function benchReadings (machines: number, perMachine: number, startTs = Date.now()): Telemetry[] {
  return generateTelemetry({ machines, readingsPerMachine: perMachine, seed: 11, failures: true, startTs, intervalMs: 1000 })
}

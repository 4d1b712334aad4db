// Readings and a small test model for the detector and system tests.
import { type Telemetry } from '@factory-edge/shared/contract'
import { FeatureExtractor, Random, saveModel, trainModel, type FeatureSpec, type Model } from '@factory-edge/shared/ml'

/** A plausible normal reading (AI4I-like ranges), deterministic for a given generator. */
export function normalReading (machineId: string, seq: number, ts: number, random: Random): Telemetry {
  const air = 25 + random.normal(0, 1)
  return {
    machineId,
    ts,
    seq,
    airTemperature: air,
    temperature: air + 10 + random.normal(0, 0.5),
    rpm: 1540 + random.normal(0, 60),
    torque: 40 + random.normal(0, 4),
    toolWear: 100 + random.uniform(0, 5),
    humidity: 50 + random.normal(0, 2)
  }
}

/** A reading far outside the normal ranges: overheating, stalling and overloaded. */
export function anomalousReading (machineId: string, seq: number, ts: number): Telemetry {
  return { machineId, ts, seq, airTemperature: 25, temperature: 80, rpm: 300, torque: 95, toolWear: 240, humidity: 95 }
}

/** A small window spec with window statistics, so that windows matter in the tests. */
export const TEST_SPEC: FeatureSpec = { window: 10, features: ['tempDelta', 'power', 'rpm', 'torque', 'humidity', 'rpm.mean'] }

/** Trains a model on features of synthetic normal streams. */
export function trainTestModel (spec: FeatureSpec = TEST_SPEC, options: { seed?: number, machines?: number, perMachine?: number, nEstimators?: number } = {}): Model {
  const random = new Random(options.seed ?? 7)
  const machines = options.machines ?? 10
  const perMachine = options.perMachine ?? 200
  const readings = []
  for (let m = 0; m < machines; m++) {
    for (let i = 0; i < perMachine; i++) readings.push(normalReading(`m${m}`, i, 1_000_000 + i * 1000, random))
  }
  const data = new FeatureExtractor(spec).rows(readings)
  return trainModel(spec, data, { nEstimators: options.nEstimators ?? 100, seed: options.seed ?? 7, contamination: 0.01 }, { source: 'synthetic test data', createdAt: '2026-01-01T00:00:00.000Z' })
}

/** Trains and saves a model; returns it. */
export async function writeTestModel (path: string, spec: FeatureSpec = TEST_SPEC, seed = 7): Promise<Model> {
  const model = trainTestModel(spec, { seed })
  await saveModel(path, model)
  return model
}

/** JSON payload of a reading. */
export function payload (r: Telemetry | Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(r))
}

// Readings and a small test model for the detector and system tests.
import { type Telemetry } from '@factory-edge/shared/contract'
import { FeatureExtractor, Random, saveModel, trainModel, type FeatureSpec, type Model, type SignalCatalog } from '@factory-edge/shared/ml'

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

/** A pump under slowly varying demand, as a telemetry payload of the example `pump` profile (config/profiles.example.yaml). */
export function pumpReading (machineId: string, seq: number, ts: number, random: Random, demand: number): Record<string, string | number> {
  // A centrifugal pump's curve: head falls with the square of the flow; the motor current follows the
  // hydraulic power over the efficiency; vibration and bearing heat rise a little with the flow.
  const flow = 120 + 60 * demand + random.normal(0, 2)
  const pressure = 9 - 0.00012 * flow * flow + random.normal(0, 0.05)
  return {
    machineId,
    ts,
    seq,
    flow,
    dischargePressure: pressure,
    motorCurrent: 20 + 0.9 * flow * pressure / 36 + random.normal(0, 0.6),
    vibrationRms: 1.8 + 0.004 * flow + random.normal(0, 0.08),
    bearingTemperature: 55 + 0.05 * flow + random.normal(0, 0.3)
  }
}

/** What {@link pumpFeatureRows} needs of a sensor profile (a `SensorProfile` of the `pump` example). */
export interface PumpProfileLike {
  readonly features: FeatureSpec
  readonly catalog: SignalCatalog<Float64Array>
  readonly validator: { size: number, validate: (value: Record<string, unknown>, out: Float64Array) => { ok: boolean } }
}

/**
 * `count` feature rows (row-major) of one simulated pump, computed by the profile's validator and the
 * detector's FeatureExtractor as the live detector would, one reading every `intervalMs`.
 */
export function pumpFeatureRows (profile: PumpProfileLike, count: number, seed: number, intervalMs = 1000): Float64Array {
  const random = new Random(seed)
  const extractor = new FeatureExtractor<Float64Array>(profile.features, profile.catalog)
  const window = extractor.createWindow()
  const values = new Float64Array(profile.validator.size)
  const out = new Float64Array(count * extractor.size)
  const row = new Float64Array(extractor.size)
  // Demand wanders around its mean and forgets its past in about 50 readings, so that a thousand
  // readings see the pump's usual operating range.
  let demand = 0
  for (let i = 0; i < count; i++) {
    demand += -0.02 * demand + random.normal(0, 0.05)
    const ts = 1_767_225_600_000 + i * intervalMs
    if (!profile.validator.validate(pumpReading('pump-1', i, ts, random, demand), values).ok) throw new Error('a simulated pump reading was refused by the profile')
    extractor.push(window, values, ts, row)
    out.set(row, i * extractor.size)
  }
  return out
}

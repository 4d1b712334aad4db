import { type ReadingValues } from '@factory-edge/shared/contract'
import { FeatureExtractor, type FeatureSpec, type MachineWindow } from '@factory-edge/shared/ml'
import { SENSOR_FIELDS } from '@factory-edge/shared/contract'
import type { Dataset } from './dataset.js'

/**
 * The feature matrix of a data set (row-major, one row per reading), computed with the same
 * FeatureExtractor the live detector uses: each machine gets its own window and its readings are
 * pushed in file order, exactly as they would arrive over MQTT.
 */
export function buildFeatureMatrix (dataset: Dataset, spec: FeatureSpec): Float64Array {
  const extractor = new FeatureExtractor(spec)
  const width = extractor.size
  const out = new Float64Array(dataset.rows * width)
  const row = new Float64Array(width)
  const windows: MachineWindow[] = dataset.machines.map(() => extractor.createWindow())
  const reading: ReadingValues = { temperature: 0, airTemperature: 0, rpm: 0, torque: 0, toolWear: 0, humidity: 0 }
  const columns = SENSOR_FIELDS.map((f) => dataset.readings[f])
  for (let r = 0; r < dataset.rows; r++) {
    for (let f = 0; f < SENSOR_FIELDS.length; f++) reading[SENSOR_FIELDS[f]] = columns[f][r]
    extractor.push(windows[dataset.machine[r]], reading, dataset.ts[r], row)
    out.set(row, r * width)
  }
  return out
}

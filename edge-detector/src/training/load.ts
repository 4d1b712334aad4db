import { SENSOR_FIELDS } from '@factory-edge/shared/contract'
import { DataError, openDataFile } from '@factory-edge/shared/data'
import { BadRows } from './bad-rows.js'
import { DatasetBuilder, type Dataset } from './dataset.js'

export interface LoadOptions {
  /** Skip (count and report) rows that cannot be used instead of failing on the first. */
  skipBadRows?: boolean
  /** Fail unless the file has labels (for evaluation). */
  requireLabel?: boolean
  /** Seed of the synthetic humidity for files without a humidity column. */
  humiditySeed?: number
  /** Machine id for files without a machine column (AI4I: one machine, rows in time order). */
  machineId?: string
  /** Called now and then with the bytes read so far. */
  onProgress?: (bytes: number) => void
}

/** Loads a CSV or NDJSON data file, whichever it is; throws a one-line DataError for anything unusable. */
export async function loadDataset (path: string, options: LoadOptions = {}): Promise<Dataset> {
  const bad = new BadRows(path, options.skipBadRows === true)
  const file = await openDataFile(path, { ...options, onBad: (line, reason) => bad.reject(line, reason) })
  const builder = new DatasetBuilder()
  const values = new Float64Array(SENSOR_FIELDS.length)
  for await (const r of file.records()) {
    for (let f = 0; f < SENSOR_FIELDS.length; f++) values[f] = r[SENSOR_FIELDS[f]]
    builder.push(values, builder.machineId(r.machineId), r.ts, r.label, r.modes)
  }
  if (builder.rows === 0) {
    const what = file.format === 'csv' ? 'rows' : 'telemetry lines'
    throw new DataError(`${path} has no usable ${what}${bad.count > 0 ? ` (${bad.count} bad ${file.format === 'csv' ? 'rows' : 'lines'} skipped, first: ${bad.examples[0]})` : ''}`)
  }
  return builder.build({ source: path, hasLabel: file.hasLabel, syntheticHumidity: file.syntheticHumidity, skipped: bad.summary() })
}

import { downloadAi4i, type DownloadOptions } from './download.js'
import { DataError } from '@factory-edge/shared/data'
import { loadDataset } from './load.js'
import { trainOnDataset, trainSynthetic, type TrainOptions, type TrainResult } from './train.js'
import type { TelemetryGenerator } from './synthetic.js'

export interface DefaultModelOptions extends TrainOptions, Omit<DownloadOptions, 'onProgress'> {
  /** Simulated readings to train on when the real data cannot be had. */
  syntheticRows?: number
  /** Where the simulated readings come from (the launcher passes the sensor simulator's generator). */
  generate: TelemetryGenerator
}

export interface DefaultModel {
  result: TrainResult
  /** Where the training data came from. */
  data: 'ai4i' | 'synthetic'
  /** Why the real data was not used (offline, checksum mismatch...), when it was not. */
  fallbackReason?: string
}

/**
 * What `npm start` trains when there is no model yet: the AI4I 2020 data (cached under the data
 * directory, downloaded once), or, when that fails (offline), simulated readings, saying why.
 */
export async function trainDefaultModel (options: DefaultModelOptions): Promise<DefaultModel> {
  try {
    const { path } = await downloadAi4i(options)
    return { result: trainOnDataset(await loadDataset(path), options), data: 'ai4i' }
  } catch (err) {
    if (!(err instanceof DataError)) throw err
    const result = await trainSynthetic(options.syntheticRows ?? 20_000, options.generate, options)
    return { result, data: 'synthetic', fallbackReason: err.message }
  }
}

import { loadCsv } from './load-csv.js'
import { loadNdjson } from './load-ndjson.js'
import { sniffDataFile } from './sniff.js'
import type { Dataset } from './dataset.js'

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
  const { format } = await sniffDataFile(path)
  return format === 'ndjson' ? await loadNdjson(path, options) : await loadCsv(path, options)
}

import { stat } from 'node:fs/promises'
import { loadDataset, Progress, type Dataset, type LoadOptions } from '../training/index.js'

/** Loads a data file, showing parsing progress on a terminal. */
export async function loadWithProgress (path: string, options: LoadOptions): Promise<Dataset> {
  const size = await stat(path).then((s) => s.size, () => undefined)
  const progress = new Progress(`parsing ${path}`, size)
  try {
    return await loadDataset(path, { ...options, onProgress: (bytes) => progress.update(bytes) })
  } finally {
    progress.done()
  }
}

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TempDir {
  dir: string
  /** Removes the directory and everything in it. */
  cleanup: () => Promise<void>
}

/** A fresh temporary directory, removed by `cleanup`. */
export async function tempDir (prefix = 'factory-edge-test-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: async () => await rm(dir, { recursive: true, force: true }) }
}

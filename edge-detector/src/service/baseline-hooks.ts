import { trainModel } from '@factory-edge/shared/ml'
import type { BaselineHooks } from '../pipeline/pipeline.js'
import { machineHash } from '../pipeline/shard.js'

/**
 * Baselines kept in memory only: learned from each machine's rows with a small forest seeded from the
 * machine id and profile, never persisted (a restart learns again).
 */
export function inMemoryBaselines (): BaselineHooks {
  return {
    load: () => undefined,
    learn: (machineId, profile, spec, rows) => trainModel(spec, rows, { nEstimators: 50, maxSamples: 128, contamination: 0.01, seed: machineHash(`${profile.name}/${machineId}`) }, { source: `${rows.length / spec.features.length} readings of ${machineId} while learning` }, profile.catalog)
  }
}

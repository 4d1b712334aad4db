import { learnBaseline, type LearnOptions } from './learner.js'
import type { BaselineStore } from './store.js'
import type { BaselineHooks } from '../pipeline/pipeline.js'

/**
 * Learns a machine's baseline with the learner's rule, stamped with its last learning reading's time
 * (same readings, same file). The calibration margin is the profile's alert margin when it sets one,
 * else `calibrationMargin` (the detector's), else the default; the trim is the profile's, else the default.
 */
function learner (calibrationMargin: number | undefined): BaselineHooks['learn'] {
  return (machineId, profile, spec, rows, learnedAt) => {
    const options: Partial<LearnOptions> = {}
    const margin = profile.alertMargin ?? calibrationMargin
    if (margin !== undefined) options.calibrationMargin = margin
    if (profile.learnTrim !== undefined) options.trim = profile.learnTrim
    return learnBaseline(spec, rows, { machineId, profile, learnedAt }, options)
  }
}

/** Baselines kept in memory only (`edge-detector score`, tests): learned, never persisted. */
export function inMemoryBaselines (calibrationMargin?: number): BaselineHooks {
  return { load: () => undefined, learn: learner(calibrationMargin) }
}

/** Baselines in the detector's models directory: loaded when a machine is first seen or comes back, learned when it has none. */
export function storedBaselines (store: BaselineStore, calibrationMargin?: number): BaselineHooks {
  return { load: (machineId, profile) => store.loadSync(machineId, profile), learn: learner(calibrationMargin) }
}

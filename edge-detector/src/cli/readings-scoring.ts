import { loadModel, type Model } from '@factory-edge/shared/ml'
import { loadProfiles, ProfileSet, SensorProfile } from '@factory-edge/shared/profiles'
import { ConfigError } from '@factory-edge/shared/runtime'
import { inMemoryBaselines } from '../baseline/hooks.js'
import { profileModelPaths, usesDetectorModel } from '../model/profile-models.js'
import type { ScoreFileOptions } from '../scoring/score-file.js'
import { requireExistingFile } from './existing-file.js'

/** The settings of `score` and `evaluate --windows` that say how a readings file is read and scored. */
export interface ReadingsScoringConfig {
  model: string
  profiles?: string
  profile?: string
  timestampColumn?: string
  columns?: string
  machineColumn?: string
  machine?: string
  skipBadRows: boolean
}

/**
 * What scores a readings file, as the service would: the detector's model, or the profiles of
 * `--profiles` (only `--profile` when given) with their models and baselines learnt in memory. The model
 * file is read only when a profile is scored by it.
 */
export async function readingsScoring (config: ReadingsScoringConfig): Promise<ScoreFileOptions> {
  if (config.profile !== undefined && config.profiles === undefined) throw new ConfigError('--profile NAME needs --profiles FILE: the file that declares it')
  const profiles = config.profiles === undefined ? undefined : onlyProfile(loadProfiles(config.profiles), config.profile)
  const needsModel = profiles === undefined || usesDetectorModel(profiles)
  if (needsModel) requireExistingFile(config.model, 'model', 'MODEL_PATH')
  const model = needsModel ? await loadModel(config.model) : undefined
  const profileModels = new Map<string, Model>()
  if (profiles !== undefined) for (const [name, path] of profileModelPaths(profiles)) profileModels.set(name, await loadModel(path))
  return {
    model,
    profiles,
    profileModels,
    baselines: inMemoryBaselines(),
    timestampColumn: config.timestampColumn,
    machineColumn: config.machineColumn,
    columns: config.columns?.split(',').map((c) => c.trim()).filter((c) => c !== ''),
    skipBadRows: config.skipBadRows,
    machineId: config.machine
  }
}

/** The profiles, or only the named one covering every machine (`--profile`). */
function onlyProfile (profiles: ProfileSet, name: string | undefined): ProfileSet {
  if (name === undefined) return profiles
  const profile = profiles.byName(name)
  if (profile === undefined) throw new ConfigError(`invalid value ${JSON.stringify(name)} for --profile: ${profiles.source} declares ${profiles.profiles.map((p) => p.name).join(', ')}`)
  return new ProfileSet([new SensorProfile({ ...profile.definition, machines: ['*'] })], profiles.source)
}

import { loadModel, type Model } from '@factory-edge/shared/ml'
import { loadProfiles, ProfileSet, SensorProfile } from '@factory-edge/shared/profiles'
import { inMemoryBaselines } from '../baseline/hooks.js'
import { profileModelPaths, usesDetectorModel } from '../model/profile-models.js'
import { ConfigError, createLogger, parseCommand } from '@factory-edge/shared/runtime'
import { scoreFile } from '../scoring/score-file.js'
import { requireExistingFile } from './existing-file.js'
import { printDetectorVersion } from './version.js'
import { scoreOptions } from './options.js'

const USAGE = 'edge-detector score --csv FILE --out FILE [--model FILE] [--profiles FILE [--profile NAME]]'
const SUMMARY = 'Scores a file of readings with the detector\'s own pipeline (validation, windows, features, scores, alert policy), without a broker: one output row per input row. Try a model on a historian export before going live.'

/** `edge-detector score`: a file of readings in, a file of scores and alert changes out. */
export async function scoreCommand (argv: readonly string[]): Promise<void> {
  const parsed = parseCommand(scoreOptions, argv, { usage: USAGE, summary: SUMMARY, printVersion: printDetectorVersion })
  if (parsed === undefined) return
  const { config } = parsed
  if (config.csv === undefined) throw new ConfigError('missing --csv FILE: the readings to score')
  if (config.out === undefined) throw new ConfigError('missing --out FILE: where the scored rows go')
  if (config.profile !== undefined && config.profiles === undefined) throw new ConfigError('--profile NAME needs --profiles FILE: the file that declares it')
  requireExistingFile(config.csv, 'csv')
  const profiles = config.profiles === undefined ? undefined : onlyProfile(loadProfiles(config.profiles), config.profile)
  const needsModel = profiles === undefined || usesDetectorModel(profiles)
  if (needsModel) requireExistingFile(config.model, 'model', 'MODEL_PATH')
  const logger = createLogger('score', { level: config.logLevel, format: config.logFormat })
  const model = needsModel ? await loadModel(config.model) : undefined
  const profileModels = new Map<string, Model>()
  if (profiles !== undefined) for (const [name, path] of profileModelPaths(profiles)) profileModels.set(name, await loadModel(path))
  const started = performance.now()
  const summary = await scoreFile(config.csv, config.out, {
    model,
    profiles,
    profileModels,
    baselines: inMemoryBaselines(),
    timestampColumn: config.timestampColumn,
    machineColumn: config.machineColumn,
    columns: config.columns?.split(',').map((c) => c.trim()).filter((c) => c !== ''),
    skipBadRows: config.skipBadRows,
    machineId: config.machine
  })
  const seconds = (performance.now() - started) / 1000
  const scoredWith = model !== undefined ? `model ${model.version}` : `profiles of ${config.profiles ?? ''}`
  logger.info({ ...summary, out: config.out, model: model?.version, profiles: config.profiles, rowsPerS: Math.round(summary.rows / seconds) },
    `scored ${summary.rows} rows of ${config.csv} with ${scoredWith} into ${config.out}: ${summary.raised} alerts raised, ${summary.cleared} cleared, ${summary.rejected} rejected`)
}

/** The profiles, or only the named one covering every machine (`--profile`). */
function onlyProfile (profiles: ProfileSet, name: string | undefined): ProfileSet {
  if (name === undefined) return profiles
  const profile = profiles.byName(name)
  if (profile === undefined) throw new ConfigError(`invalid value ${JSON.stringify(name)} for --profile: ${profiles.source} declares ${profiles.profiles.map((p) => p.name).join(', ')}`)
  return new ProfileSet([new SensorProfile({ ...profile.definition, machines: ['*'] })], profiles.source)
}

import { createLogger, ConfigError, parseCommand } from '@factory-edge/shared/runtime'
import { scoreFile } from '../scoring/score-file.js'
import { requireExistingFile } from './existing-file.js'
import { readingsScoring } from './readings-scoring.js'
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
  requireExistingFile(config.csv, 'csv')
  const scoring = await readingsScoring(config)
  const logger = createLogger('score', { level: config.logLevel, format: config.logFormat })
  const started = performance.now()
  const summary = await scoreFile(config.csv, config.out, scoring)
  const seconds = (performance.now() - started) / 1000
  const model = scoring.model
  const scoredWith = model !== undefined ? `model ${model.version}` : `profiles of ${config.profiles ?? ''}`
  logger.info({ ...summary, out: config.out, model: model?.version, profiles: config.profiles, rowsPerS: Math.round(summary.rows / seconds) },
    `scored ${summary.rows} rows of ${config.csv} with ${scoredWith} into ${config.out}: ${summary.raised} alerts raised, ${summary.cleared} cleared, ${summary.rejected} rejected`)
}

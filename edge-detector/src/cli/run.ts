import { ConfigError } from '@factory-edge/shared/errors'
import { createLogger, onShutdownOf, type LoggerOptions, parseCommand } from '@factory-edge/shared/runtime'
import { detectorConfigSpec, detectorOptionsFromConfig } from '../config.js'
import { loadProfiles } from '@factory-edge/shared/profiles'
import { createDetector, type StartableDetector } from '../service/detector.js'
import { usesDetectorModel } from '../model/profile-models.js'
import { requireExistingFile } from './existing-file.js'
import { printDetectorVersion } from './version.js'

const USAGE = 'edge-detector [run] [options]\n       edge-detector train --help\n       edge-detector evaluate --help\n       edge-detector score --help\n       edge-detector baseline --help'
const SUMMARY = 'Scores MQTT telemetry with an Isolation Forest and publishes anomaly events; writes points to InfluxDB.\n\nCommands:\n  run        Run the detector service (the default)\n  train      Train a model file\n  evaluate   Evaluate a model on labelled data\n  score      Score a file of readings with the detector\'s pipeline\n  baseline   List, show or reset the baselines machines learned for themselves'

/** `edge-detector [run]`: the detector service, until SIGINT or SIGTERM. */
export async function runCommand (argv: readonly string[], commands: readonly string[]): Promise<void> {
  const parsed = parseCommand(detectorConfigSpec, argv, { usage: USAGE, summary: SUMMARY, printVersion: printDetectorVersion })
  if (parsed === undefined) return
  const { config, positionals } = parsed
  if (positionals.length > 0) throw new ConfigError(`unknown command ${JSON.stringify(positionals[0])}; commands: ${commands.join(', ')}`)
  const options = detectorOptionsFromConfig(config)
  // A profiles file with a mistake stops here, before anything starts, with the file, profile and key named.
  const profiles = loadProfiles(options.profilesPath)
  if (usesDetectorModel(profiles)) {
    requireExistingFile(options.modelPath, 'model', 'MODEL_PATH',
      `train one with \`edge-detector train --download --out ${options.modelPath}\` (the AI4I 2020 data set, downloaded once) or \`edge-detector train --csv FILE --out ${options.modelPath}\` (your own readings; simulated ones: \`sensor-simulator generate --out FILE\`), or run \`npm start\` once, which trains a first model (docker-compose: the model-init service does it)`)
  }
  const logger = createLogger('edge-detector', { level: config.logLevel as LoggerOptions['level'], format: config.logFormat })
  // Handlers first: a stop requested while the model loads or before the broker answers is a clean stop too.
  const shutdown = onShutdownOf<StartableDetector>(async (detector, signal) => {
    logger.info({ signal }, 'shutting down')
    await detector?.close()
  }, 10_000)
  const detector = shutdown.started(await createDetector({ ...options, profiles, logger }))
  await detector.start()
}

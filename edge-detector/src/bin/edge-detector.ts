#!/usr/bin/env node
import { createLogger, formatHelp, onShutdown, parseConfig, runMain, type LoggerOptions } from '@factory-edge/shared/runtime'
import { detectorConfigSpec, detectorOptionsFromConfig } from '../config.js'
import { startDetector } from '../service/detector.js'
import { printDetectorVersion } from '../cli/version.js'

/** Sub-commands other than `run` (the default: the detector service), loaded only when chosen. */
const COMMANDS: Record<string, (argv: readonly string[]) => Promise<void>> = {
  train: async (argv) => await (await import('../cli/train.js')).trainCommand(argv),
  evaluate: async (argv) => await (await import('../cli/evaluate.js')).evaluateCommand(argv)
}

const USAGE = 'edge-detector [run] [options]\n       edge-detector train --help\n       edge-detector evaluate --help'
const SUMMARY = 'Scores MQTT telemetry with an Isolation Forest and publishes anomaly events; writes metrics to InfluxDB.\n\nCommands:\n  run        Run the detector service (the default)\n  train      Train a model file\n  evaluate   Evaluate a model on labelled data'

async function runService (argv: readonly string[]): Promise<void> {
  const { config, positionals, help, version } = parseConfig(detectorConfigSpec, argv)
  if (help) {
    process.stdout.write(formatHelp(USAGE, SUMMARY, detectorConfigSpec))
    return
  }
  if (version) return printDetectorVersion()
  if (positionals.length > 0) throw new Error(`unknown command ${JSON.stringify(positionals[0])}; commands: run, ${Object.keys(COMMANDS).join(', ')}`)
  const options = detectorOptionsFromConfig(config)
  const logger = createLogger('edge-detector', { level: config.logLevel as LoggerOptions['level'], format: config.logFormat })
  const detector = await startDetector({ ...options, logger })
  onShutdown(async (signal) => {
    logger.info({ signal }, 'shutting down')
    await detector.close()
  }, 10_000)
}

const [command, ...rest] = process.argv.slice(2)
const sub = command === undefined ? undefined : COMMANDS[command]
if (sub !== undefined) runMain(`edge-detector ${command}`, async () => await sub(rest))
else runMain('edge-detector', async () => await runService(command === 'run' ? rest : process.argv.slice(2)))

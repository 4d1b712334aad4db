#!/usr/bin/env node
import { createLogger, onShutdownOf, printVersion, runMain, parseCommand } from '@factory-edge/shared/runtime'
import { launcherOptions } from '../options.js'
import { startAll, type RunningSystem } from '../start-all.js'

const SUMMARY = 'Runs the whole factory-edge pipeline on this machine: the MQTT broker, simulated machines and the\nedge detector, with a live view and a 🚨 line for every anomaly. Injects a failure now and then.'

runMain('factory-edge', async () => {
  // The version is read from dist/src/bin/ up to this package's package.json.
  const parsed = parseCommand(launcherOptions, process.argv.slice(2), {
    usage: 'factory-edge [options]   (npm start -- [options])',
    summary: SUMMARY,
    printVersion: () => printVersion('factory-edge', new URL('../../../package.json', import.meta.url))
  })
  if (parsed === undefined) return
  const { config } = parsed
  // Service logs go to stderr so that they do not tear the live view on stdout.
  const logger = createLogger('factory-edge', { level: config.logLevel, format: config.logFormat, destination: process.stderr })
  // Handlers first: Ctrl-C while the first model trains or the services start is a clean stop too.
  const shutdown = onShutdownOf<RunningSystem>(async (system) => {
    process.stdout.write('Stopping…\n')
    await system?.close()
  }, 2000)
  shutdown.started(await startAll({
    host: config.host,
    port: config.port,
    httpPort: config.httpPort,
    machines: config.machines,
    kind: config.kind,
    rateHz: config.rateHz,
    failureEverySeconds: config.failureEvery,
    modelPath: config.model,
    trainData: config.trainData,
    seed: config.seed,
    view: config.view,
    out: process.stdout,
    logger
  }))
})

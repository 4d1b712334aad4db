import { readFileSync } from 'node:fs'
import { ConfigError, DataError, FactoryEdgeError } from '@factory-edge/shared/errors'
import { createLogger, onShutdown, onShutdownOf, type Logger, parseCommand } from '@factory-edge/shared/runtime'
import { printOwnVersion } from './version.js'
import { replayConfigSpec, simulatorConfigSpec, type ReplayConfig, type SimulatorConfig } from './config.js'
import type { ConnectionOptions } from './mqtt/link.js'
import { readScenarioFile, parseScenario, type Scenario } from './scenario.js'
import { startSimulator, type SimulatorHandle } from './simulator.js'
import { machineIds } from './fleet.js'
import { parseKinds, type FleetPart } from './kind.js'
import { replayFile, type ReplayResult } from './replay/replayer.js'
import { countLines, ReplayProgress } from './replay/progress.js'
import { generateCommand } from './generate-command.js'

const RUN_USAGE = 'sensor-simulator [run] [options]\n       sensor-simulator replay --csv FILE [--speed X] [--machine ID] [options]\n       sensor-simulator generate [--readings N] [--out FILE] [options]'
const RUN_SUMMARY = 'Simulated machines (AI4I 2020 milling machines, or centrifugal pumps with --kind pump) publish telemetry on\n<prefix>/<machineId>/telemetry, retained status on .../status and what was injected on .../truth. Failure modes:\nHDF (overheat), PWF (power, overload), OSF (overstrain), TWF (tool-wear), RNF (random) for AI4I machines;\nbearing_wear, cavitation, impeller_clog, seal_leak for pumps; sensor faults: stuck, spike, drift, dropout, nan, garbage.'
const REPLAY_USAGE = 'sensor-simulator replay --csv FILE [--speed X] [--machine ID] [--timestamp-column NAME] [--columns a=b,...] [--machine-column NAME] [options]'
const REPLAY_SUMMARY = 'Streams a file through MQTT in time order: the AI4I 2020 CSV (one row per cycle, failures published as\nground truth), recorded telemetry (CSV with a header of telemetry fields, or one JSON object per line), or any\ntime-series CSV (a timestamp column and numeric columns taken as signals by header). Bad rows are reported\nwith their line number, counted and skipped.'

function readPem (path: string | undefined, flag: string): Buffer | undefined {
  if (path === undefined) return undefined
  try {
    return readFileSync(path)
  } catch (err) {
    throw new ConfigError(`cannot read ${flag} ${path}: ${(err as Error).message}`)
  }
}

/** Maps the shared connection settings of either sub-command to MQTT link options. */
export function toConnectionOptions (config: SimulatorConfig | ReplayConfig): ConnectionOptions {
  if ((config.certFile === undefined) !== (config.keyFile === undefined)) throw new ConfigError('--cert-file and --key-file must be given together')
  return {
    brokerUrl: config.brokerUrl,
    username: config.username,
    password: config.password,
    ca: readPem(config.caFile, '--ca-file'),
    cert: readPem(config.certFile, '--cert-file'),
    key: readPem(config.keyFile, '--key-file'),
    rejectUnauthorized: !config.insecure,
    qos: config.qos === '1' ? 1 : 0
  }
}

function scenariosOf (config: SimulatorConfig): Scenario[] {
  let fromFile: Scenario[] = []
  if (config.scenarioFile !== undefined) {
    try {
      fromFile = readScenarioFile(config.scenarioFile)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(`--scenario-file ${config.scenarioFile} does not exist`)
      if (err instanceof Error && !(err instanceof FactoryEdgeError)) throw new ConfigError(`cannot read --scenario-file ${config.scenarioFile}: ${err.message}`)
      throw err
    }
  }
  // A ScenarioError names the scenario and exits 2 like any configuration mistake.
  return [...fromFile, ...(config.scenario ?? []).map(parseScenario)]
}

function machineIdsOf (config: SimulatorConfig): number | string[] {
  if (config.machineIds === undefined) return config.machines
  try {
    machineIds(config.machineIds)
  } catch (err) {
    throw new ConfigError(`invalid --machine-ids: ${(err as Error).message}`)
  }
  return config.machineIds
}

function kindsOf (config: SimulatorConfig): FleetPart[] | undefined {
  if (config.kinds === undefined) return undefined
  if (config.machineIds !== undefined) throw new ConfigError('--kinds and --machine-ids cannot be combined: --kinds names the machines (machine-1…, pump-1…)')
  try {
    return parseKinds(config.kinds)
  } catch (err) {
    throw new ConfigError(`invalid --kinds: ${(err as Error).message}`)
  }
}

function logStats (sim: SimulatorHandle, logger: Logger, intervalS: number): NodeJS.Timeout | undefined {
  if (intervalS <= 0) return undefined
  let last = sim.stats()
  const timer = setInterval(() => {
    const s = sim.stats()
    logger.info({ ...s, readingsPerS: Math.round((s.readings - last.readings) / intervalS) }, 'progress')
    last = s
  }, intervalS * 1000)
  timer.unref()
  return timer
}

async function run (argv: readonly string[]): Promise<void> {
  const parsed = parseCommand(simulatorConfigSpec, argv, { usage: RUN_USAGE, summary: RUN_SUMMARY, printVersion: printOwnVersion })
  if (parsed === undefined) return
  const { config, positionals } = parsed
  if (positionals.length > 0) throw new ConfigError(`unexpected argument ${positionals[0]}; commands are run, replay and generate`)
  const machines = machineIdsOf(config)
  const kinds = kindsOf(config)
  const logger = createLogger('sensor-simulator', { level: config.logLevel, format: config.logFormat })
  // Handlers first: a stop requested while it waits for the broker is a clean stop too.
  const shutdown = onShutdownOf<SimulatorHandle>(async (sim, signal) => {
    logger.info({ signal }, 'shutting down')
    if (sim !== undefined) await stop(sim)
  })
  const sim = shutdown.started(await startSimulator({
    ...toConnectionOptions(config),
    machines,
    kind: config.kind,
    kinds,
    rateHz: config.rate,
    seed: config.seed,
    startTs: config.startTs,
    topicPrefix: config.topicPrefix,
    scenarios: scenariosOf(config),
    failureRate: config.failureRate,
    sensorFaultRate: config.sensorFaultRate,
    connection: config.connection,
    clientId: config.clientId,
    queueLimit: config.queueLimit,
    logger
  }))
  const statsTimer = logStats(sim, logger, config.statsInterval)
  const stop = async (running: SimulatorHandle): Promise<void> => {
    if (statsTimer !== undefined) clearInterval(statsTimer)
    await running.stop()
    logger.info(running.stats(), 'final counts')
  }
  if (config.duration > 0) {
    await new Promise((resolve) => setTimeout(resolve, config.duration * 1000))
    await stop(sim)
  }
}

async function replay (argv: readonly string[]): Promise<void> {
  const parsed = parseCommand(replayConfigSpec, argv, { usage: REPLAY_USAGE, summary: REPLAY_SUMMARY, printVersion: printOwnVersion })
  if (parsed === undefined) return
  const { config, positionals } = parsed
  const file = config.csv ?? config.file ?? positionals[0]
  if (file === undefined) throw new ConfigError('replay needs a file: --csv FILE')
  const logger = createLogger('sensor-simulator', { level: config.logLevel, format: config.logFormat })
  const controller = new AbortController()
  let stopSignal: string | undefined
  // Handlers first; a stop waits for the replay to wind down (offline status sent) and its summary.
  let finished: Promise<void> = Promise.resolve()
  onShutdown(async (signal) => {
    stopSignal = signal
    controller.abort()
    await finished
  })
  finished = replayWithSummary(config, file, logger, controller.signal, () => stopSignal)
  await finished
}

async function replayWithSummary (config: ReplayConfig, file: string, logger: Logger, signal: AbortSignal, stopSignal: () => string | undefined): Promise<void> {
  const progress = config.statsInterval > 0
    // The line count only feeds the fraction done and the time left: a file it cannot read fails below with its own message.
    ? new ReplayProgress({ totalLines: await countLines(file).catch(() => undefined), intervalS: config.statsInterval, logger })
    : undefined
  let result: ReplayResult
  try {
    result = await replayFile({
      ...toConnectionOptions(config),
      file,
      speed: config.speed,
      machine: config.machine,
      timestampColumn: config.timestampColumn,
      machineColumn: config.machineColumn,
      columns: config.columns,
      intervalMs: config.interval * 1000,
      originalTimestamps: config.originalTimestamps,
      loop: config.loop,
      topicPrefix: config.topicPrefix,
      clientId: config.clientId,
      queueLimit: config.queueLimit,
      logger,
      signal,
      onPosition: (position) => progress?.update(position)
    })
  } catch (err) {
    // The file to replay is a setting of the command: one it cannot use is a configuration mistake.
    if (err instanceof DataError) throw new ConfigError(`cannot replay: ${err.message}`)
    throw err
  } finally {
    progress?.stop()
  }
  const { published, bad, durationMs, ...rest } = result
  const summary = { sent: published, skipped: bad, elapsedS: Math.round(durationMs / 100) / 10, ...rest }
  const signalName = stopSignal()
  if (signalName === undefined) logger.info(summary, 'replay finished')
  else logger.info({ signal: signalName, ...summary }, 'replay stopped')
}

/** The `sensor-simulator` command: `run` (default), `replay` or `generate`. */
export async function main (argv: readonly string[]): Promise<void> {
  if (argv[0] === 'replay') return await replay(argv.slice(1))
  if (argv[0] === 'generate') return await generateCommand(argv.slice(1))
  if (argv[0] === 'run') return await run(argv.slice(1))
  return await run(argv)
}

import { access } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { loadProfiles, ProfileSet, SensorProfile } from '@factory-edge/shared/profiles'
import { startBroker, type BrokerHandle } from '@factory-edge/broker'
import { PUMP_FAILURE_MODES, startSimulator, type MachineKind, type SimulatorHandle } from '@factory-edge/sensor-simulator'
import { LEARNED_WARMUP_READINGS, startDetector, type DetectorHandle } from '@factory-edge/edge-detector'
import { trainDefaultModel, trainSynthetic } from '@factory-edge/edge-detector/training'
import { saveModel } from '@factory-edge/shared/ml'
import { settingName, type Logger } from '@factory-edge/shared/runtime'
import { FailureInjector } from './failure-injector.js'
import { launcherOptions } from './options.js'
import { LiveView, localZone } from './live-view.js'
import { simulatedReadings } from './simulated-readings.js'

export interface StartAllOptions {
  host: string
  port: number
  /** Port of the detector's HTTP server (web view, /healthz, /metrics) on 127.0.0.1; 0 picks one; null: none. */
  httpPort?: number | null
  machines: number
  /** Kind of the simulated machines (default ai4i); pumps learn their own baselines (config/profiles.yaml). */
  kind?: MachineKind
  rateHz: number
  /** Seconds between injected failures; 0 turns injection off. */
  failureEverySeconds: number
  /** Delay of the first injected failure, in ms. */
  firstFailureMs?: number
  modelPath: string
  /** What the first model is trained on when there is none. */
  trainData: 'synthetic' | 'ai4i'
  seed: number
  view: 'summary' | 'machines' | 'quiet'
  /** Where the live view and the launcher's own lines go. */
  out: NodeJS.WritableStream
  logger: Logger
}

export interface RunningSystem {
  broker: BrokerHandle
  detector: DetectorHandle
  simulator: SimulatorHandle
  /** Stops everything, the publishers first so that nothing is in flight when the broker goes. */
  close: () => Promise<void>
}

async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

/** The profiles file the repository ships: AI4I machines on the trained model, pumps learning their own normal. */
export const SHIPPED_PROFILES = fileURLToPath(new URL('../../../config/profiles.yaml', import.meta.url))

/**
 * How long each pump of the demo learns: minutes of its readings' time instead of the shipped profile's
 * six hours, so that the demo gets to its failures. A baseline learnt this fast has seen less of the
 * plant's wandering, so it raises more false alarms than one learnt as the profile says
 * (docs/self-learning.md).
 */
export const DEMO_LEARN_MS = 5 * 60_000
/** Rows kept of those minutes. */
const DEMO_LEARN_ROWS = 600

/** The shipped profiles with the demo's short learning. */
function demoProfiles (): ProfileSet {
  const shipped = loadProfiles(SHIPPED_PROFILES)
  return new ProfileSet(shipped.profiles.map((p) => p.definition.model.kind === 'learn'
    ? new SensorProfile({ ...p.definition, model: { ...p.definition.model, readings: DEMO_LEARN_ROWS, durationMs: DEMO_LEARN_MS } })
    : p), shipped.source)
}

/** Readings of simulated machines the first model of `npm start` learns from. */
export const FIRST_MODEL_ROWS = 20_000

/** Trains and saves a first model when there is none, saying on what data. */
export async function ensureModel (path: string, trainData: 'synthetic' | 'ai4i', seed: number, out: NodeJS.WritableStream): Promise<void> {
  if (await exists(path)) return
  out.write(`No model at ${path}: training a first one on ${trainData === 'ai4i' ? 'the AI4I 2020 data set' : 'readings of the simulated machines'}…\n`)
  const started = Date.now()
  const { result, data, fallbackReason } = trainData === 'ai4i'
    ? await trainDefaultModel({ seed, syntheticRows: FIRST_MODEL_ROWS, generate: simulatedReadings, timeoutMs: 20_000 })
    : { result: await trainSynthetic(FIRST_MODEL_ROWS, simulatedReadings, { seed }), data: 'synthetic', fallbackReason: undefined }
  if (fallbackReason !== undefined) out.write(`Could not use the AI4I 2020 data (${fallbackReason}); trained on simulated readings instead.\n`)
  await saveModel(path, result.model)
  out.write(`Trained model ${result.model.version} on ${data === 'ai4i' ? 'AI4I 2020' : 'simulated'} data in ${Date.now() - started} ms, saved to ${path}\n`)
}

/**
 * `npm start`: the embedded broker, the simulated machines and the detector in one process, with a
 * live view of what arrives on the telemetry and anomaly topics.
 */
export async function startAll (options: StartAllOptions): Promise<RunningSystem> {
  const { logger, out } = options
  const kind = options.kind ?? 'ai4i'
  // The shipped profiles score AI4I machines with the model, so it is needed whatever the kind.
  await ensureModel(options.modelPath, options.trainData, options.seed, out)
  const broker = await startBroker({ host: options.host, port: options.port, wsPort: null, httpPort: null, allowAnonymous: true, portSettings: { port: settingName(launcherOptions.port) }, logger: logger.child({ service: 'broker' }) })
  const stack: Array<() => Promise<void>> = [async () => await broker.close()]
  const close = async (): Promise<void> => {
    for (const stop of stack.reverse()) await stop().catch((err: unknown) => logger.warn({ err }, 'error while stopping'))
    stack.length = 0
  }
  try {
    const httpPort = options.httpPort ?? null
    // Pumps learn their own normal: their profile's learning goal decides when the first failure is worth injecting.
    const profiles = kind === 'pump' ? demoProfiles() : undefined
    const learningMs = profiles === undefined ? 0 : Math.max(DEMO_LEARN_MS, 1000 * DEMO_LEARN_ROWS / options.rateHz)
    const detector = await startDetector({ brokerUrl: broker.url, modelPath: options.modelPath, profiles, profilesPath: profiles === undefined ? undefined : SHIPPED_PROFILES, httpHost: '127.0.0.1', httpPort, httpPortSetting: settingName(launcherOptions.httpPort), logger: logger.child({ service: 'edge-detector' }) })
    stack.push(async () => await detector.close())
    const view = new LiveView({ brokerUrl: broker.url, mode: options.view, out })
    await view.start()
    stack.push(async () => await view.close())
    const simulator = await startSimulator({ brokerUrl: broker.url, machines: options.machines, kind, rateHz: options.rateHz, seed: options.seed, logger: logger.child({ service: 'sensor-simulator' }) })
    stack.push(async () => await simulator.stop())
    const injector = new FailureInjector(
      simulator,
      simulator.machineIds,
      (machineId, mode) => out.write(`💉 injecting a ${mode} failure into ${machineId}\n`),
      options.failureEverySeconds * 1000,
      options.firstFailureMs ?? (learningMs > 0 ? learningMs + 1000 * LEARNED_WARMUP_READINGS / options.rateHz + 15_000 : undefined),
      kind === 'pump' ? PUMP_FAILURE_MODES : undefined
    )
    injector.start()
    stack.push(async () => injector.stop())
    const scoring = kind !== 'pump' ? `model ${detector.model?.version ?? ''}` : `each learning its own normal for ${Math.round(learningMs / 1000)} s first (a demo's minutes: config/profiles.yaml learns for 6 h)`
    out.write(`factory-edge running: broker ${broker.url}, ${options.machines} ${kind === 'pump' ? 'pumps' : 'machines'} at ${options.rateHz} Hz, ${scoring}. Subscribe to factory/+/anomalies for the events. Times in ${localZone()}. Ctrl-C stops.\n`)
    if (detector.webUrl !== undefined) out.write(`Live web view: ${detector.webUrl}\n`)
    return { broker, detector, simulator, close }
  } catch (err) {
    await close()
    throw err
  }
}

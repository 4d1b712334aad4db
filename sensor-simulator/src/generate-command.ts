import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type ConfigSpec, parseCommand } from '@factory-edge/shared/runtime'
import { printOwnVersion } from './version.js'
import { DEFAULT_SEED, generateLabelledTelemetry } from './generate.js'

/** Settings of `sensor-simulator generate`. */
export const generateConfigSpec = {
  readings: { flag: 'readings', env: 'SIM_READINGS', type: 'integer', min: 1, max: 100_000_000, default: 20_000, description: 'Number of readings to write, spread over the machines' },
  machines: { flag: 'machines', env: 'SIM_MACHINES', type: 'integer', min: 1, max: 100_000, default: 10, description: 'Number of machines, ids machine-1 … machine-N' },
  seed: { flag: 'seed', env: 'SIM_SEED', type: 'integer', min: 0, max: 4294967295, default: DEFAULT_SEED, description: 'Random seed: the same seed gives the same readings' },
  failures: { flag: 'failures', type: 'boolean', default: false, description: 'Include random machine failures (default: healthy machines only, as training data)' },
  out: { flag: 'out', type: 'string', description: 'File to write; default standard output' }
} as const satisfies ConfigSpec

const USAGE = 'sensor-simulator generate [--readings N] [--machines M] [--seed S] [--out FILE]'
const SUMMARY = 'Writes simulated readings as telemetry NDJSON (one JSON object per line), without MQTT: the same physics\nas `run`, in reading-time order. `edge-detector train --csv FILE` trains on the file.'

function * ndjsonLines (readings: number, machines: number, seed: number, failures: boolean): Generator<string> {
  let written = 0
  for (const { telemetry } of generateLabelledTelemetry({ machines, readingsPerMachine: Math.ceil(readings / machines), seed, failures })) {
    if (written++ >= readings) return
    yield JSON.stringify(telemetry) + '\n'
  }
}

/** `sensor-simulator generate`: simulated readings to a file or stdout. */
export async function generateCommand (argv: readonly string[]): Promise<void> {
  const parsed = parseCommand(generateConfigSpec, argv, { usage: USAGE, summary: SUMMARY, printVersion: printOwnVersion })
  if (parsed === undefined) return
  const { config } = parsed
  const out = config.out === undefined ? process.stdout : createWriteStream(config.out)
  await pipeline(Readable.from(ndjsonLines(config.readings, config.machines, config.seed, config.failures)), out, { end: config.out !== undefined })
}

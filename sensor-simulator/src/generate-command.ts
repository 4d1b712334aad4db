import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify/sync'
import { ConfigError } from '@factory-edge/shared/errors'
import { type ConfigSpec, parseCommand } from '@factory-edge/shared/runtime'
import { printOwnVersion } from './version.js'
import { DEFAULT_SEED, generateLabelledReadings, type GenerateReadingsOptions, type LabelledReading } from './generate.js'
import { MACHINE_KINDS, parseKinds } from './kind.js'

/** Settings of `sensor-simulator generate`. */
export const generateConfigSpec = {
  readings: { flag: 'readings', env: 'SIM_READINGS', type: 'integer', min: 1, max: 100_000_000, default: 20_000, description: 'Number of readings to write, spread over the machines' },
  machines: { flag: 'machines', env: 'SIM_MACHINES', type: 'integer', min: 1, max: 100_000, default: 10, description: 'Number of machines, ids machine-1 … machine-N (pump-1 … with --kind pump)' },
  kind: { flag: 'kind', env: 'SIM_KIND', type: 'enum', choices: MACHINE_KINDS, default: 'ai4i', description: 'Kind of the machines: ai4i or pump' },
  kinds: { flag: 'kinds', env: 'SIM_KINDS', type: 'list', description: 'A mixed fleet instead of --machines and --kind, e.g. ai4i:5,pump:5' },
  seed: { flag: 'seed', env: 'SIM_SEED', type: 'integer', min: 0, max: 4294967295, default: DEFAULT_SEED, description: 'Random seed: the same seed gives the same readings' },
  failures: { flag: 'failures', type: 'boolean', default: false, description: 'Include random machine failures (default: healthy machines only, as training data)' },
  failureRate: { flag: 'failure-rate', type: 'number', min: 0, description: 'Random failures per machine-hour with --failures; default 3.6 for AI4I machines, 0.5 for pumps' },
  sensorFaultRate: { flag: 'sensor-fault-rate', type: 'number', min: 0, default: 0, description: 'Random sensor faults per machine-hour (readings a dropout suppresses are left out)' },
  format: { flag: 'format', type: 'enum', choices: ['ndjson', 'csv'], default: 'ndjson', description: 'ndjson: telemetry as published; csv: a header of telemetry fields, then label (1 while a failure lasts), failureMode and sensorFault per row' },
  out: { flag: 'out', type: 'string', description: 'File to write; default standard output' }
} as const satisfies ConfigSpec

const USAGE = 'sensor-simulator generate [--readings N] [--machines M] [--kind ai4i|pump] [--seed S] [--format ndjson|csv] [--out FILE]'
const SUMMARY = 'Writes simulated readings without MQTT: the same physics as `run`, in reading-time order, as telemetry NDJSON\n(one JSON object per line) or as CSV with labels. `edge-detector train --csv FILE` trains on the file.'

/** Label columns of the CSV: `label` is the name the data reader takes as the 0/1 failure flag. */
const LABEL_COLUMNS = ['label', 'failureMode', 'sensorFault']

function * lines (readings: number, options: GenerateReadingsOptions, format: 'ndjson' | 'csv'): Generator<string> {
  let written = 0
  let header: string[] | undefined
  for (const r of generateLabelledReadings(options)) {
    if (written >= readings) return
    written++
    // A reading a dropout suppressed was never sent: it is not in the data either.
    if (!r.sent) continue
    if (format === 'ndjson') {
      yield JSON.stringify(r.telemetry) + '\n'
      continue
    }
    if (header === undefined) {
      header = Object.keys(r.telemetry)
      yield stringify([[...header, ...LABEL_COLUMNS]])
    }
    yield stringify([csvRow(r, header)])
  }
}

function csvRow (r: LabelledReading, header: readonly string[]): Array<string | number> {
  const t = r.telemetry
  // A mixed fleet has rows of different kinds: a field another kind lacks stays empty.
  return [...header.map((h) => t[h] ?? ''), r.failure === undefined ? 0 : 1, r.failure ?? '', r.fault ?? '']
}

/** `sensor-simulator generate`: simulated readings to a file or stdout. */
export async function generateCommand (argv: readonly string[]): Promise<void> {
  const parsed = parseCommand(generateConfigSpec, argv, { usage: USAGE, summary: SUMMARY, printVersion: printOwnVersion })
  if (parsed === undefined) return
  const { config } = parsed
  let kinds
  try {
    kinds = config.kinds === undefined ? undefined : parseKinds(config.kinds)
  } catch (err) {
    throw new ConfigError(`invalid --kinds: ${(err as Error).message}`)
  }
  if (kinds !== undefined && config.format === 'csv') throw new ConfigError('--format csv writes one kind of machine: use --kind, not --kinds')
  const machines = kinds === undefined ? config.machines : kinds.reduce((n, p) => n + p.count, 0)
  const options: GenerateReadingsOptions = {
    machines: config.machines,
    kind: config.kind,
    kinds,
    readingsPerMachine: Math.ceil(config.readings / machines),
    seed: config.seed,
    failures: config.failures,
    failureRate: config.failureRate,
    sensorFaultRate: config.sensorFaultRate
  }
  // Like `edge-detector train --out`: a fresh clone has no data/ or results/ yet.
  if (config.out !== undefined) await mkdir(dirname(config.out), { recursive: true })
  const out = config.out === undefined ? process.stdout : createWriteStream(config.out)
  await pipeline(Readable.from(lines(config.readings, options, config.format)), out, { end: config.out !== undefined })
}

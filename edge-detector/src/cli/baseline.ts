import { MACHINE_ID_PATTERN } from '@factory-edge/shared/contract'
import { ConfigError, parseCommand } from '@factory-edge/shared/runtime'
import { BaselineStore, type BaselineEntry, type StoredBaseline } from '../baseline/store.js'
import { NoBaselineError } from '../errors.js'
import { resolveModelsDir } from '../model/models-dir.js'
import { baselineOptions } from './options.js'
import { printDetectorVersion } from './version.js'

const USAGE = 'edge-detector baseline list [--json]\n       edge-detector baseline show <machineId> [--profile NAME] [--json]\n       edge-detector baseline reset <machineId> [--profile NAME]'
const SUMMARY = 'The baselines machines under a `learn` profile learned for themselves.\n\n' +
  'Actions:\n' +
  '  list               Every baseline file: profile, machine, size, when it was written\n' +
  '  show <machineId>   A machine\'s baseline: threshold, learning readings, forest, what its features looked like\n' +
  '  reset <machineId>  Removes the machine\'s baseline (after maintenance, a tool change...): running detectors notice\n' +
  '                     and the machine learns again; without a running detector it learns at the next start'
const ACTIONS = ['list', 'show', 'reset'] as const

const machineIdRegExp = new RegExp(MACHINE_ID_PATTERN)

/** `edge-detector baseline`: list, show and reset the persisted per-machine baselines. */
export async function baselineCommand (argv: readonly string[]): Promise<void> {
  const parsed = parseCommand(baselineOptions, argv, { usage: USAGE, summary: SUMMARY, printVersion: printDetectorVersion })
  if (parsed === undefined) return
  const { config, positionals } = parsed
  const [action, machineId, ...extra] = positionals
  if (action === undefined) throw new ConfigError(`missing action: ${ACTIONS.join(', ')} (see --help)`)
  if (!(ACTIONS as readonly string[]).includes(action)) throw new ConfigError(`unknown action ${JSON.stringify(action)}; actions: ${ACTIONS.join(', ')}`)
  if (action === 'list') {
    if (machineId !== undefined) throw new ConfigError(`list takes no machine id, got ${JSON.stringify(machineId)}`)
  } else {
    if (machineId === undefined) throw new ConfigError(`${action} needs a machine id: edge-detector baseline ${action} <machineId>`)
    if (!machineIdRegExp.test(machineId)) throw new ConfigError(`${JSON.stringify(machineId)} is not a machine id (${MACHINE_ID_PATTERN})`)
  }
  if (extra.length > 0) throw new ConfigError(`unexpected argument ${JSON.stringify(extra[0])}`)
  const store = new BaselineStore(resolveModelsDir(config.modelsDir, config.model))
  const out = (text: string): boolean => process.stdout.write(text)
  if (action === 'list') {
    const entries = await store.list()
    out(config.json ? entries.map((e) => JSON.stringify(entryJson(e)) + '\n').join('') : formatList(store.dir, entries))
  } else if (action === 'reset') {
    const removed = await store.reset(machineId, config.profile)
    const which = config.profile === undefined ? '' : ` under profile ${config.profile}`
    out(removed.length === 0
      ? `${machineId} has no baseline${which} in ${store.dir}; running detectors that see it restart its learning\n`
      : `removed ${removed.join(', ')}; running detectors notice, and ${machineId} learns again\n`)
  } else {
    const profiles = config.profile === undefined ? [...new Set((await store.list()).filter((e) => e.machineId === machineId).map((e) => e.profile))] : [config.profile]
    const found: StoredBaseline[] = []
    for (const p of profiles) {
      const stored = await store.read(machineId, p)
      if (stored !== undefined) found.push(stored)
    }
    if (found.length === 0) throw new NoBaselineError(`${machineId} has no baseline${config.profile === undefined ? '' : ` under profile ${config.profile}`} in ${store.dir}`)
    out(config.json ? found.map((b) => JSON.stringify(showJson(b)) + '\n').join('') : found.map(formatShow).join('\n'))
  }
}

function entryJson (e: BaselineEntry): Record<string, unknown> {
  return { profile: e.profile, machineId: e.machineId, path: e.path, bytes: e.bytes, modifiedAt: e.modifiedAt.toISOString() }
}

function formatList (dir: string, entries: readonly BaselineEntry[]): string {
  if (entries.length === 0) return `no baselines in ${dir}\n`
  const rows = [['profile', 'machine', 'bytes', 'written'], ...entries.map((e) => [e.profile, e.machineId, String(e.bytes), e.modifiedAt.toISOString()])]
  return table(rows) + `${entries.length} baseline${entries.length === 1 ? '' : 's'} in ${dir}\n`
}

/** The quantile the threshold started from, as recorded by the learner in the forest's contamination. */
function ruleOf (b: StoredBaseline): string {
  const c = b.model.options.contamination
  return c === 'auto' ? 'not recorded' : `${Number((100 * (1 - c)).toPrecision(6))}th percentile of its own learning scores plus a margin, at least their mean plus the calibration margin`
}

function showJson (b: StoredBaseline): Record<string, unknown> {
  const m = b.model
  return {
    ...entryJson(b),
    version: m.version,
    learnedAt: m.createdAt,
    threshold: m.threshold,
    training: m.training,
    forest: { trees: m.options.nEstimators, sampleSize: m.forest.sampleSize, seed: m.options.seed, quantile: m.options.contamination === 'auto' ? null : 1 - m.options.contamination },
    featureSpec: m.featureSpec,
    features: m.summary
  }
}

function formatShow (b: StoredBaseline): string {
  const m = b.model
  const g = (v: number): string => Number(v.toPrecision(5)).toString()
  const window = `${m.featureSpec.window} readings${m.featureSpec.windowMs === undefined ? '' : `, at most ${m.featureSpec.windowMs} ms`}`
  return [
    `${b.machineId}, profile ${b.profile}: ${b.path} (${b.bytes} bytes, written ${b.modifiedAt.toISOString()})`,
    `model ${m.version}, learned ${m.createdAt}`,
    `threshold ${g(m.threshold)} (${ruleOf(b)})`,
    `learned from ${m.training.rows} readings${m.training.dropped === undefined ? '' : `, ${m.training.dropped} left out (a value that is not a finite number)`}${m.training.trimmed === undefined ? '' : `, ${m.training.trimmed} left out as the most anomalous (learn.trim)`}; ${m.training.source}`,
    `forest: ${m.options.nEstimators} trees of ${m.forest.sampleSize} readings, seed ${m.options.seed}`,
    `features over a window of ${window}:`,
    table([['feature', 'unit', 'mean', 'std', 'min', 'max'], ...m.summary.map((s) => [s.name, s.unit, g(s.mean), g(s.std), g(s.min), g(s.max)])], '  ')
  ].join('\n')
}

/** Left-aligned columns, two spaces apart. */
function table (rows: ReadonlyArray<readonly string[]>, indent = ''): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  return rows.map((r) => indent + r.map((cell, c) => c === r.length - 1 ? cell : cell.padEnd(widths[c])).join('  ')).join('\n') + '\n'
}

import { loadModel } from '@factory-edge/shared/ml'
import { requireExistingFile } from './existing-file.js'
import { ConfigError, parseCommand, type ConfigOf } from '@factory-edge/shared/runtime'
import { DataError, evaluateOriginalDesign, evaluateScores, FAILURE_MODE_NAMES, scoreDataset, type Evaluation } from '../training/index.js'
import { loadWithProgress } from './load-with-progress.js'
import { printDetectorVersion } from './version.js'
import { evaluateWindows, loadWindows, type WindowEvaluation } from '../scoring/index.js'
import { evaluateOptions } from './options.js'
import { readingsScoring } from './readings-scoring.js'

const USAGE = 'edge-detector evaluate --model FILE --csv FILE [--json] | --csv FILE --windows FILE [--model FILE] [--profiles FILE [--profile NAME]] [--json]'
const SUMMARY = 'Scores a labelled file with a model: ROC-AUC, average precision, precision/recall/F1 at the model threshold, recall per failure mode, confusion matrix; the original design\'s features side by side. With --windows (anomaly windows: machine, start, end), any readings file, scored by a model or by sensor profiles that learn: windows detected, detection delay, false alarms per machine-day, and ROC-AUC and average precision of the scored rows.'

/** `edge-detector evaluate`: how well a model finds the failures of a labelled file. */
export async function evaluateCommand (argv: readonly string[]): Promise<void> {
  const parsed = parseCommand(evaluateOptions, argv, { usage: USAGE, summary: SUMMARY, printVersion: printDetectorVersion })
  if (parsed === undefined) return
  const { config } = parsed
  if (config.csv === undefined) throw new ConfigError('missing --csv FILE: the labelled data to evaluate on')
  if (config.windows !== undefined) {
    await evaluateAgainstWindows({ ...config, csv: config.csv, windows: config.windows })
    return
  }
  if (config.profiles !== undefined) throw new ConfigError('--profiles (PROFILES_PATH) needs --windows FILE: per-row labels are read from AI4I files only, which the built-in profile scores')
  requireExistingFile(config.model, 'model', 'MODEL_PATH')
  requireExistingFile(config.csv, 'csv')
  const model = await loadModel(config.model)
  const dataset = await loadWithProgress(config.csv, { skipBadRows: config.skipBadRows, requireLabel: true })
  const label = dataset.label as Uint8Array
  const failures = label.reduce((n, l) => n + l, 0)
  if (failures === 0 || failures === label.length) {
    throw new DataError(`${dataset.source}: all ${label.length} rows are labelled ${failures === 0 ? 'normal' : 'failures'}; evaluation needs both failures and normal rows`)
  }
  const evaluation = evaluateScores(scoreDataset(model, dataset), label, dataset.modes, model.threshold)
  const o = model.options
  const original = evaluateOriginalDesign(dataset, { contamination: o.contamination === 'auto' ? undefined : o.contamination, trees: o.nEstimators, seed: o.seed })
  const summary = {
    ...evaluation,
    model: { path: config.model, version: model.version, features: model.featureSpec.features, window: model.featureSpec.window },
    source: dataset.source,
    skippedRows: dataset.skipped.count,
    originalDesign: original === null ? null : { features: ['temperature', 'rpm', 'humidity'], ...pick(original) }
  }
  if (config.json) {
    process.stdout.write(JSON.stringify(summary) + '\n')
    return
  }
  process.stdout.write(formatText(config.model, model.version, dataset.source, evaluation, original, dataset.skipped.count))
}

/** `evaluate --windows`: the readings scored by a model or by profiles, against anomaly windows. */
async function evaluateAgainstWindows (config: ConfigOf<typeof evaluateOptions> & { csv: string, windows: string }): Promise<void> {
  requireExistingFile(config.csv, 'csv')
  requireExistingFile(config.windows, 'windows')
  const windows = await loadWindows(config.windows)
  const scoring = await readingsScoring(config)
  const result = await evaluateWindows(config.csv, windows, { ...scoring, graceMs: config.graceS * 1000 })
  const scoredBy = scoring.model !== undefined ? { model: { path: config.model, version: scoring.model.version } } : {}
  const by = scoring.model !== undefined ? `model ${config.model} (${scoring.model.version})` : `profiles of ${config.profiles ?? ''}`
  process.stdout.write(config.json
    ? JSON.stringify({ ...scoredBy, profiles: config.profiles, profile: config.profile, source: config.csv, windowsFile: config.windows, ...result }) + '\n'
    : formatWindows(by, config.csv, result))
}

function pick (e: Evaluation): Pick<Evaluation, 'auc' | 'ap' | 'precision' | 'recall' | 'f1' | 'threshold' | 'rows'> {
  return { auc: e.auc, ap: e.ap, precision: e.precision, recall: e.recall, f1: e.f1, threshold: e.threshold, rows: e.rows }
}

const f3 = (v: number): string => v.toFixed(3)

/** The human-readable evaluation. */
function formatText (modelPath: string, version: string, source: string, e: Evaluation, original: Evaluation | null, skipped: number): string {
  const c = e.confusion
  const lines = [
    `model ${modelPath} (${version}) on ${source}: ${e.rows} rows, ${e.failures} failures${skipped > 0 ? `, ${skipped} bad rows skipped` : ''}`,
    '',
    `                      this model${original !== null ? '   original design (temperature, rpm, humidity)' : ''}`,
    ...([['ROC-AUC', 'auc'], ['average precision', 'ap'], ['precision', 'precision'], ['recall', 'recall'], ['F1', 'f1']] as const).map(([name, key]) =>
      `  ${name.padEnd(20)}${f3(e[key]).padStart(10)}${original !== null ? f3(original[key]).padStart(10) : ''}`),
    `  ${'threshold'.padEnd(20)}${e.threshold.toFixed(4).padStart(10)}`,
    '',
    'recall per failure mode at the threshold:',
    ...e.perMode.map((m) => `  ${m.mode} ${FAILURE_MODE_NAMES[m.mode].padEnd(26)}${m.rows > 0 ? `${m.detected}/${m.rows}`.padStart(9) + f3(m.recall).padStart(8) : '  no rows'.padStart(9)}`),
    '',
    'confusion matrix:      flagged  not flagged',
    `  failure        ${String(c.tp).padStart(12)}${String(c.fn).padStart(13)}`,
    `  normal         ${String(c.fp).padStart(12)}${String(c.tn).padStart(13)}`
  ]
  return lines.join('\n') + '\n'
}

/** The human-readable evaluation against anomaly windows: event-level figures, then row-level ones. */
function formatWindows (scoredBy: string, source: string, w: WindowEvaluation): string {
  const n = (v: number, digits: number): string => Number.isFinite(v) ? v.toFixed(digits) : 'undefined'
  const r = w.rows
  const rowFigure = (v: number): string => r.undefinedWhy !== undefined ? `undefined (${r.undefinedWhy})` : f3(v)
  const leftOut = w.windowsWhileLearning > 0 ? ` (${w.windowsWhileLearning} more left out: they begin while their machine learns)` : ''
  return [
    `${scoredBy} on ${source}: ${w.windows} anomaly windows${leftOut}, ${w.machineDays.toFixed(2)} machine-days scored`,
    '',
    'events:',
    `  windows detected      ${w.detected} of ${w.windows} (${n(w.recall, 3)})`,
    `  detection delay       p50 ${n(w.delayP50S, 0)} s, p90 ${n(w.delayP90S, 0)} s`,
    `  false alarms          ${w.falseAlarms} (${n(w.falseAlarmsPerMachineDay, 2)} per machine-day)`,
    `  alerts raised         ${w.raises}`,
    '',
    `rows: ${r.scored} scored, ${r.inWindows} of them in anomaly windows; left out: ${r.learning} learned on, ${r.unscored} not scored`,
    `  ROC-AUC               ${rowFigure(r.auc)}`,
    `  average precision     ${rowFigure(r.ap)}`,
    ''
  ].join('\n')
}

import { dirname, resolve } from 'node:path'
import { parseFeatureSpec, saveModel, FeatureSpecError } from '@factory-edge/shared/ml'
import { createLogger, ConfigError, parseCommand } from '@factory-edge/shared/runtime'
import {
  buildReport, DataError, downloadAi4i, Progress, evaluateOriginalDesign, trainOnDataset, writeReports, type Dataset
} from '../training/index.js'
import { loadWithProgress } from './load-with-progress.js'
import { printDetectorVersion } from './version.js'
import { SIMULATED_INSTEAD, trainOptions } from './options.js'
import { requireExistingFile } from './existing-file.js'

const USAGE = 'edge-detector train (--csv FILE | --download) [options]'
const SUMMARY = 'Trains an Isolation Forest model and writes it with report.json and report.html (ROC and precision-recall curves, score histogram, recall per failure mode).'

/** `edge-detector train`: data in, model and reports out. */
export async function trainCommand (argv: readonly string[]): Promise<void> {
  const parsed = parseCommand(trainOptions, argv, { usage: USAGE, summary: SUMMARY, printVersion: printDetectorVersion })
  if (parsed === undefined) return
  const { config } = parsed
  if (config.synthetic !== undefined) throw new ConfigError(`--synthetic is gone: ${SIMULATED_INSTEAD}`)
  if ([config.csv !== undefined, config.download].filter(Boolean).length !== 1) {
    throw new ConfigError('give exactly one of --csv FILE or --download (simulated readings: `sensor-simulator generate --out FILE`, then --csv FILE)')
  }
  let features
  try {
    features = parseFeatureSpec(config.features)
  } catch (err) {
    if (err instanceof FeatureSpecError) throw new ConfigError(`invalid --features: ${err.message}`)
    throw err
  }
  const log = createLogger('train', { level: config.logLevel, format: config.logFormat })
  const t0 = performance.now()
  let dataset: Dataset
  if (config.download) {
    const progress = new Progress(`downloading ${config.downloadUrl}`, undefined)
    const { path, cached } = await downloadAi4i({ url: config.downloadUrl, sha256: config.sha256, dataDir: config.dataDir, onProgress: (bytes, total) => progress.update(bytes, total) })
      .catch((err: unknown) => {
        if (err instanceof DataError) throw new DataError(`${err.message}; train from a local copy with --csv FILE, or on simulated readings written by sensor-simulator generate --out FILE`)
        throw err
      })
      .finally(() => progress.done())
    log.info({ path, cached }, cached ? `using cached ${path}` : `downloaded and verified ${path}`)
    dataset = await loadWithProgress(path, { skipBadRows: config.skipBadRows })
  } else {
    requireExistingFile(config.csv as string, 'csv')
    dataset = await loadWithProgress(config.csv as string, { skipBadRows: config.skipBadRows })
  }
  const loadMs = performance.now() - t0
  if (dataset.skipped.count > 0) log.warn({ skipped: dataset.skipped.count, examples: dataset.skipped.examples }, `skipped ${dataset.skipped.count} bad rows`)
  log.info({ rows: dataset.rows, machines: dataset.machines.length, labelled: dataset.label !== null, ms: Math.round(loadMs) }, `loaded ${dataset.rows} rows from ${dataset.source}`)

  const options = { features, contamination: config.contamination, trees: config.trees, seed: config.seed }
  const result = trainOnDataset(dataset, options)
  const out = resolve(config.out)
  await saveModel(out, result.model)
  const report = buildReport({
    dataset,
    model: result.model,
    modelPath: config.out,
    scores: result.scores,
    evaluation: result.evaluation,
    originalDesign: evaluateOriginalDesign(dataset, options),
    timings: { loadMs, ...result.timings }
  })
  const paths = await writeReports(dirname(out), report)
  const rows = result.model.training.rows
  if (rows < SMALL_DATA_ROWS) log.warn({ rows }, `only ${rows} rows to learn from: a model learns what normal looks like from its data, and ${SMALL_DATA_ROWS.toLocaleString('en')} or more rows are advised`)
  const evaluated = result.evaluation
  // ROC-AUC and F1 need both failures and normal rows; with one kind only they are undefined, not 0.
  const e = evaluated !== null && evaluated.failures > 0 && evaluated.failures < evaluated.rows ? evaluated : null
  const undefinedWhy = evaluated === null || e !== null ? '' : evaluated.failures === 0 ? ' (ROC-AUC and F1 undefined: no failures in the data)' : ' (ROC-AUC and F1 undefined: every row is a failure)'
  log.info({
    model: config.out,
    version: result.model.version,
    features: features.features,
    threshold: result.model.threshold,
    ...(e === null ? {} : { auc: round(e.auc), ap: round(e.ap), f1: round(e.f1), precision: round(e.precision), recall: round(e.recall) }),
    report: paths.html
  }, e === null ? `model ${result.model.version} written to ${config.out}${undefinedWhy}` : `model ${result.model.version} written to ${config.out}: ROC-AUC ${e.auc.toFixed(3)}, F1 ${e.f1.toFixed(3)} on the training rows`)
}

/** Fewer training rows than this get a warning. */
const SMALL_DATA_ROWS = 1000

function round (v: number): number {
  return Math.round(v * 1000) / 1000
}

import { readdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { schedule, validate, type ScheduledTask } from 'node-cron'
import { saveModel, trainModel, type Model } from '@factory-edge/shared/ml'
import { type Logger } from '@factory-edge/shared/runtime'
import { DETECTOR_DEFAULTS } from '../defaults.js'
import type { DetectorPipeline } from '../pipeline/pipeline.js'
import { resolveModelsDir } from './models-dir.js'

/** Scheduled retraining on the recent readings that were not anomalous. */
export interface RetrainOptions {
  /** Cron expression (node-cron syntax, e.g. `0 3 * * *`); without it, retraining runs only when asked. */
  cron?: string
  /** Where versioned models go; default `<model dir>/models`. */
  modelsDir?: string
  /** Versioned model files kept. */
  keep?: number
  /** Fewest reservoir rows worth training on. */
  minRows?: number
  /** Recent non-anomalous feature rows kept for retraining. */
  reservoirSize?: number
}

/**
 * Retrains the running model's forest, with the same feature specification and forest options, on the
 * pipeline's reservoir; writes `<modelsDir>/<version>.json` (keeping the newest N), replaces the model
 * file atomically and swaps the model in. Machines with a baseline of their own start relearning at the
 * same moment: on their next normal readings, replacing their baselines as each finishes.
 */
export class Retrainer {
  private task: ScheduledTask | undefined
  private running: Promise<Model | undefined> | undefined

  constructor (
    private readonly options: RetrainOptions,
    private readonly pipeline: DetectorPipeline,
    private readonly modelPath: string,
    private readonly swap: (model: Model) => void,
    private readonly logger: Logger
  ) {
    if (options.cron !== undefined && !validate(options.cron)) {
      throw new RangeError(`invalid retrain cron expression ${JSON.stringify(options.cron)}; e.g. "0 3 * * *" for 03:00 every day`)
    }
  }

  start (): void {
    if (this.options.cron === undefined) return
    this.task = schedule(this.options.cron, async () => { await this.run() }, { noOverlap: true, name: 'retrain' })
    this.logger.info({ cron: this.options.cron, minRows: this.minRows }, 'scheduled retraining')
  }

  stop (): void {
    void this.task?.stop()
  }

  private get minRows (): number {
    return this.options.minRows ?? DETECTOR_DEFAULTS.retrain.minRows
  }

  /** Retrains now; resolves to the new model, or undefined when there is too little data or it failed. */
  run (): Promise<Model | undefined> {
    this.running ??= this.retrain().finally(() => { this.running = undefined })
    return this.running
  }

  private async retrain (): Promise<Model | undefined> {
    const relearning = this.pipeline.relearn()
    if (relearning > 0) this.logger.info({ machines: relearning }, 'relearning the machines\' own baselines on their next normal readings')
    const reservoir = this.pipeline.reservoir
    const old = this.pipeline.model
    // Every profile learns per machine or has a model of its own: there is no detector model to retrain.
    if (reservoir === undefined || old === undefined) return undefined
    if (reservoir.size < this.minRows) {
      this.logger.info({ rows: reservoir.size, minRows: this.minRows }, 'not retraining yet: too few recent normal readings')
      return undefined
    }
    const data = reservoir.snapshot()
    try {
      const model = trainModel(old.featureSpec, data, old.options, { source: `retrained on ${reservoir.size} recent non-anomalous readings` })
      const oldMean = meanScore(old, data)
      const newMean = meanScore(model, data)
      const dir = resolveModelsDir(this.options.modelsDir, this.modelPath)
      await saveModel(join(dir, `${model.version}.json`), model)
      await prune(dir, this.options.keep ?? DETECTOR_DEFAULTS.retrain.keep)
      await saveModel(this.modelPath, model)
      if (this.pipeline.model === old) this.swap(model)
      this.logger.info({
        from: old.version,
        to: model.version,
        rows: reservoir.size,
        oldThreshold: old.threshold,
        newThreshold: model.threshold,
        scoreDrift: newMean - oldMean,
        meanScoreOld: oldMean,
        meanScoreNew: newMean
      }, 'retrained the model')
      return model
    } catch (err) {
      this.logger.error({ error: (err as Error).message }, 'retraining failed; the running model stays')
      return undefined
    }
  }
}

function meanScore (model: Model, data: Float64Array): number {
  const scores = model.scoreBatch(data)
  let sum = 0
  for (const s of scores) sum += s
  return scores.length > 0 ? sum / scores.length : 0
}

/** Keeps the newest `keep` model files of a directory. */
async function prune (dir: string, keep: number): Promise<void> {
  const names = (await readdir(dir)).filter((n) => /^[0-9a-f]+\.json$/.test(n))
  if (names.length <= keep) return
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })))
  dated.sort((a, b) => b.t - a.t)
  for (const { n } of dated.slice(keep)) await unlink(join(dir, n)).catch(() => {})
}

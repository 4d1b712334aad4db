import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { loadModel, type Model } from '@factory-edge/shared/ml'
import { type Logger } from '@factory-edge/shared/runtime'

/**
 * Watches a model file and hands each valid new version to `onModel`. The directory is watched, not the
 * file, because an atomic save replaces the file (a new inode) rather than changing it. A corrupt or
 * incompatible file is refused with the reason, and the running model stays.
 */
export class ModelWatcher {
  private watcher: FSWatcher | undefined
  private timer: NodeJS.Timeout | undefined
  private loading: Promise<void> = Promise.resolve()
  /** Versions refused since start. */
  refused = 0
  lastError: string | undefined

  constructor (
    private readonly path: string,
    private readonly current: () => Model,
    private readonly onModel: (model: Model) => void,
    private readonly logger: Logger,
    private readonly debounceMs = 200
  ) {}

  start (): void {
    const file = basename(this.path)
    this.watcher = watch(dirname(resolve(this.path)), (_event, name) => {
      if (name !== null && name !== file) return
      if (this.timer !== undefined) clearTimeout(this.timer)
      this.timer = setTimeout(() => { this.timer = undefined; void this.reload() }, this.debounceMs)
    })
    this.watcher.on('error', (err) => this.logger.error({ err }, 'model file watcher failed; model changes are no longer picked up'))
  }

  /** Loads the file now; resolves to true when a new model was swapped in. */
  async reload (): Promise<boolean> {
    let swapped = false
    this.loading = this.loading.then(async () => {
      let model: Model
      try {
        model = await loadModel(this.path)
      } catch (err) {
        // A missing file mid-rename is not an error worth reporting; the next event brings the new file.
        if ((err as Error).message.endsWith('does not exist')) return
        this.refused++
        this.lastError = (err as Error).message
        this.logger.error({ path: this.path, error: this.lastError, keeping: this.current().version }, 'refusing the new model file; the running model stays')
        return
      }
      const old = this.current()
      if (model.version === old.version) return
      this.onModel(model)
      swapped = true
      this.lastError = undefined
      this.logger.info({ path: this.path, from: old.version, to: model.version, threshold: model.threshold, previousThreshold: old.threshold }, 'model swapped in')
    })
    await this.loading
    return swapped
  }

  close (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.watcher?.close()
  }
}

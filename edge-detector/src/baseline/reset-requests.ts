/**
 * Reset requests: how a command (`edge-detector baseline reset`) tells running detectors that a machine's
 * baseline was removed. A request is a small JSON file per machine in `<baselines>/.resets/`, written
 * atomically; {@link BaselineResetWatcher} notices it through fs.watch, or by polling where fs.watch
 * misses changes (network file systems) or cannot run. Requests are not consumed, since several detectors
 * (shards) may share the directory; each detector reports a request once, and only when it was made after
 * the detector started (a restart finds the baseline file gone anyway). Old requests are pruned when a new
 * one is written.
 */
import { EventEmitter } from 'node:events'
import { watch, type FSWatcher } from 'node:fs'
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { writeFileAtomic } from '@factory-edge/shared/ml'
import { DETECTOR_DEFAULTS } from '../defaults.js'

/** Directory of the requests, inside the baselines directory; hidden so that it is no profile's. */
export const RESETS_DIR = '.resets'
/** Requests older than this are removed when the next one is written. */
export const RESET_REQUEST_TTL_MS = 24 * 3600 * 1000

/** One machine's baseline was reset by another process. */
export interface BaselineReset {
  machineId: string
  /** The profile whose baseline was reset; undefined: every profile's. */
  profile: string | undefined
  /** When the request was made (ms since the epoch, the writer's clock). */
  requestedAt: number
}

interface RequestFile extends BaselineReset {
  id: string
}

/** Writes a reset request for one machine (replacing an earlier one) and prunes expired requests. */
export async function writeResetRequest (baselinesDir: string, reset: BaselineReset): Promise<void> {
  const dir = join(baselinesDir, RESETS_DIR)
  const request: RequestFile = { ...reset, id: randomUUID() }
  await writeFileAtomic(join(dir, `${reset.machineId}.json`), JSON.stringify(request) + '\n')
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue
    const path = join(dir, name)
    const info = await stat(path).catch(() => undefined)
    if (info !== undefined && reset.requestedAt - info.mtimeMs > RESET_REQUEST_TTL_MS) await unlink(path).catch(() => {})
  }
}

function parseRequest (text: string): RequestFile | undefined {
  try {
    const r = JSON.parse(text) as Partial<RequestFile>
    if (typeof r.machineId !== 'string' || typeof r.id !== 'string' || typeof r.requestedAt !== 'number') return undefined
    if (r.profile !== undefined && typeof r.profile !== 'string') return undefined
    return { machineId: r.machineId, profile: r.profile, requestedAt: r.requestedAt, id: r.id }
  } catch {
    return undefined
  }
}

export interface ResetWatcherOptions {
  /** Scan this often as well, in case fs.watch misses a change; default DETECTOR_DEFAULTS.baseline.resetPollMs. */
  pollMs?: number
  /** Use fs.watch (default true); false: polling only. */
  watch?: boolean
  /** Requests made before this time (ms since the epoch) are not reported; default: when the watcher was created. */
  since?: number
}

/**
 * Reports reset requests made by other processes: `'reset'` once per request, `'error'` when the requests
 * directory cannot be read or watched (the watcher keeps polling; without a listener the error is dropped
 * rather than thrown, since the watcher recovers by itself). Start it, then listen; stop it on shutdown.
 * Everything is asynchronous and off the scoring path.
 */
export class BaselineResetWatcher extends EventEmitter<{ reset: [BaselineReset], error: [Error] }> {
  readonly dir: string
  /** True when fs.watch is on; false when only polling runs (not asked for, or fs.watch failed). */
  watching = false
  private readonly pollMs: number
  private readonly useWatch: boolean
  private readonly since: number
  /** Request id last reported per file name. */
  private readonly seen = new Map<string, string>()
  private watcher: FSWatcher | undefined
  private timer: NodeJS.Timeout | undefined
  private scanning: Promise<void> | undefined
  private again = false
  private stopped = false

  constructor (baselinesDir: string, options: ResetWatcherOptions = {}) {
    super()
    this.dir = join(baselinesDir, RESETS_DIR)
    this.pollMs = options.pollMs ?? DETECTOR_DEFAULTS.baseline.resetPollMs
    this.useWatch = options.watch ?? true
    this.since = options.since ?? Date.now()
  }

  /** Creates the requests directory if needed, reports requests already there (made since `since`) and starts watching. */
  async start (): Promise<void> {
    this.stopped = false
    await mkdir(this.dir, { recursive: true })
    if (this.useWatch) {
      try {
        this.watcher = watch(this.dir, { persistent: false }, () => { this.scan() })
        this.watcher.on('error', (err) => {
          // E.g. the directory was removed: polling goes on, and recreates nothing until a request comes.
          this.closeWatcher()
          this.report(err)
        })
        this.watching = true
      } catch (err) {
        this.report(err as Error)
      }
    }
    this.timer = setInterval(() => { this.scan() }, this.pollMs)
    this.timer.unref()
    this.scan()
    await this.scanning
  }

  /** Stops watching and polling; resolves when a scan under way has ended. */
  async stop (): Promise<void> {
    this.stopped = true
    this.closeWatcher()
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    await this.scanning
  }

  /** Scans now (coalesced: a scan asked for during one runs once after it). */
  scan (): void {
    if (this.stopped) return
    if (this.scanning !== undefined) {
      this.again = true
      return
    }
    this.scanning = this.scanOnce().catch((err: Error) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(err)
    }).finally(() => {
      this.scanning = undefined
      if (this.again) {
        this.again = false
        this.scan()
      }
    })
  }

  private report (err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }

  private closeWatcher (): void {
    this.watcher?.close()
    this.watcher = undefined
    this.watching = false
  }

  private async scanOnce (): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    for (const name of [...this.seen.keys()]) if (!names.includes(name)) this.seen.delete(name)
    for (const name of names) {
      const request = parseRequest(await readFile(join(this.dir, name), 'utf8').catch(() => ''))
      if (request === undefined || this.seen.get(name) === request.id) continue
      this.seen.set(name, request.id)
      if (request.requestedAt < this.since || this.stopped) continue
      this.emit('reset', { machineId: request.machineId, profile: request.profile, requestedAt: request.requestedAt })
    }
  }
}

import { HttpError, InfluxDB, setLogger, type WriteApi } from '@influxdata/influxdb-client'
import { RateLimitedLog, type Logger } from '@factory-edge/shared/runtime'
import { INFLUX_DEFAULTS, type InfluxOptions, type InfluxState, type PointWriterStats } from './options.js'
import { DiskSpool } from './spool.js'
import { PointJournal } from './journal.js'

interface Batch {
  lines: string[]
  /** Set when the batch came from the spool. */
  seq?: number
  /** The journal file holding this batch, deleted once it is written or spooled. */
  journal?: string
}

/** HTTP statuses that mean "this batch is bad", not "InfluxDB is unavailable". */
const PERMANENT = new Set([400, 413, 422])

/**
 * Writes line protocol to InfluxDB in ordered batches. The official client does the HTTP, gzip and
 * error decoding; batching and retries live here because its retry buffer may reorder and silently drop
 * lines, while a gateway must keep its points in order through an outage: failed batches (and every
 * batch after them) go to a bounded {@link DiskSpool} and are replayed oldest first, with exponential
 * backoff, until InfluxDB accepts them again. A single worker loop owns sending and the spool, so
 * nothing races.
 */
export class PointWriter {
  private readonly writeApi: WriteApi
  private readonly batchSize: number
  private readonly flushIntervalMs: number
  private readonly minRetryDelayMs: number
  private readonly maxRetryDelayMs: number
  private current: string[] = []
  private readonly backlog: Batch[] = []
  private backlogLines = 0
  private flushTimer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private retryAt = 0
  private consecutiveFailures = 0
  private closing = false
  private readonly worker: Promise<void>
  private state: InfluxState = 'ok'
  private written = 0
  private refused = 0
  private failures = 0
  private idleWaiters: Array<() => void> = []
  private readonly rateLimited: RateLimitedLog

  private constructor (options: InfluxOptions, private readonly spool: DiskSpool, private readonly journal: PointJournal | undefined, private readonly logger: Logger) {
    this.rateLimited = new RateLimitedLog(logger)
    this.batchSize = options.batchSize ?? INFLUX_DEFAULTS.batchSize
    this.flushIntervalMs = options.flushIntervalMs ?? INFLUX_DEFAULTS.flushIntervalMs
    this.minRetryDelayMs = options.minRetryDelayMs ?? INFLUX_DEFAULTS.minRetryDelayMs
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? INFLUX_DEFAULTS.maxRetryDelayMs
    const influx = new InfluxDB({ url: options.url, token: options.token, timeout: options.timeoutMs ?? INFLUX_DEFAULTS.timeoutMs })
    this.writeApi = influx.getWriteApi(options.org, options.bucket, 'ms', {
      batchSize: this.batchSize + 1,
      flushInterval: 0,
      maxRetries: 0,
      gzipThreshold: options.gzipThreshold ?? INFLUX_DEFAULTS.gzipThreshold,
      // Returning a rejected promise hands every failure to us instead of the client's retry buffer.
      writeFailed: (error: Error) => Promise.reject(error)
    })
    if (spool.size > 0) {
      this.state = 'failing'
      logger.info({ spooled: spool.size, dir: spool.dir }, 'found spooled InfluxDB points from an earlier run; replaying them')
    }
    this.worker = this.run()
  }

  /** Opens the spool and starts the writer. */
  static async open (options: InfluxOptions, logger: Logger): Promise<PointWriter> {
    routeClientLogs(logger)
    const spool = await DiskSpool.open(options.spoolDir, options.spoolMaxPoints ?? INFLUX_DEFAULTS.spoolMaxPoints)
    let journal: PointJournal | undefined
    if (options.journal === true) {
      // Points a killed process had queued go to the spool first, so they are replayed before any new one.
      const { files, nextSeq } = PointJournal.leftovers(options.spoolDir)
      let recovered = 0
      for (const file of files) {
        await spool.append(file.lines)
        recovered += file.lines.length
        PointJournal.remove(file.path)
      }
      if (recovered > 0) logger.info({ points: recovered, files: files.length }, 'recovered journalled InfluxDB points of a killed process into the spool')
      journal = PointJournal.open(options.spoolDir, nextSeq)
    }
    return new PointWriter(options, spool, journal, logger)
  }

  /** Queues one line of line protocol. */
  write (line: string): void {
    if (this.closing) return
    this.current.push(line)
    this.journal?.add(line)
    if (this.current.length >= this.batchSize) this.cut()
    else if (this.flushTimer === undefined) this.flushTimer = setTimeout(() => this.cut(), this.flushIntervalMs)
  }

  /**
   * Makes the lines queued since the last call durable (one append to the journal), so the reading they
   * came from may be acknowledged. A no-op without a journal.
   */
  commit (): void {
    this.journal?.commit()
  }

  /** Sends everything queued so far; resolves when it is written or spooled. */
  async flush (): Promise<void> {
    this.cut()
    await this.idle()
  }

  /**
   * Writes what is queued, waiting at most `timeoutMs` for InfluxDB; whatever is not written by then is
   * spooled to disk for the next start.
   */
  async close (timeoutMs = 3000): Promise<void> {
    this.cut()
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref())
    const outcome = await Promise.race([this.idle().then(() => 'idle' as const), timer])
    this.closing = true
    this.wakeUp()
    await this.worker
    if (outcome === 'timeout' || this.backlog.length > 0) {
      for (const batch of this.backlog.splice(0)) if (batch.seq === undefined) await this.spoolBatch(batch)
      this.backlogLines = 0
    }
    this.journal?.close()
    if (this.spool.size > 0) this.logger.warn({ spooled: this.spool.size, dir: this.spool.dir }, 'InfluxDB points left in the spool; they are written on the next start')
  }

  stats (): PointWriterStats {
    return {
      state: this.state,
      written: this.written,
      spooled: this.spool.size,
      droppedSpoolFull: this.spool.dropped,
      refused: this.refused,
      failures: this.failures,
      buffered: this.current.length + this.backlogLines
    }
  }

  private cut (): void {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer)
      this.flushTimer = undefined
    }
    if (this.current.length === 0) return
    this.backlog.push({ lines: this.current, journal: this.journal?.rotate() })
    this.backlogLines += this.current.length
    this.current = []
    this.wakeUp()
  }

  private wakeUp (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private idle (): Promise<void> {
    if (this.backlog.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private settle (): void {
    if (this.backlog.length > 0) return
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  private async sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.wake = undefined; resolve() }, ms)
      this.wake = () => { clearTimeout(timer); resolve() }
    })
  }

  private async run (): Promise<void> {
    while (!this.closing) {
      if (this.state === 'failing') {
        // In order: while anything is spooled, new batches queue behind it on disk.
        while (this.backlog.length > 0) {
          const batch = this.backlog.shift() as Batch
          this.backlogLines -= batch.lines.length
          await this.spoolBatch(batch)
        }
        this.settle()
        const wait = this.retryAt - Date.now()
        if (wait > 0) {
          await this.sleep(wait)
          continue
        }
        const batch = await this.spool.peek()
        if (batch === undefined) {
          this.recovered()
          continue
        }
        if (await this.send(batch)) await this.spool.remove(batch.seq)
        if (this.spool.size === 0 && this.state === 'failing' && this.consecutiveFailures === 0) this.recovered()
        continue
      }
      const batch = this.backlog[0]
      if (batch === undefined) {
        this.settle()
        await this.sleep(60_000)
        continue
      }
      const ok = await this.send(batch)
      if (ok || this.state === 'ok') {
        this.backlog.shift()
        this.backlogLines -= batch.lines.length
        this.journal?.release(batch.journal)
      }
      this.settle()
    }
  }

  /** Sends one batch; true when InfluxDB took it (or refused it for good, which retrying cannot change). */
  private async send (batch: Batch): Promise<boolean> {
    try {
      this.writeApi.writeRecords(batch.lines)
      await this.writeApi.flush()
      this.written += batch.lines.length
      this.consecutiveFailures = 0
      return true
    } catch (err) {
      this.failures++
      if (err instanceof HttpError && PERMANENT.has(err.statusCode)) {
        this.refused += batch.lines.length
        this.logger.error({ status: err.statusCode, lines: batch.lines.length, error: err.message, first: batch.lines[0]?.slice(0, 200) }, 'InfluxDB refused a batch as malformed; dropping it')
        this.consecutiveFailures = 0
        return true
      }
      this.consecutiveFailures++
      const delay = Math.min(this.maxRetryDelayMs, this.minRetryDelayMs * 2 ** (this.consecutiveFailures - 1))
      this.retryAt = Date.now() + delay * (0.8 + 0.4 * Math.random())
      if (this.state === 'ok') {
        this.state = 'failing'
        this.logger.warn({ error: (err as Error).message, retryInMs: delay }, 'InfluxDB write failed; spooling points to disk until it is back')
      } else {
        this.logger.debug({ error: (err as Error).message, retryInMs: delay, spooled: this.spool.size }, 'InfluxDB still unavailable')
      }
      if (batch.seq === undefined) {
        // The failed batch is the oldest not yet written: it goes to the spool first.
        this.backlog.shift()
        this.backlogLines -= batch.lines.length
        await this.spoolBatch(batch)
      }
      return false
    }
  }

  /** Moves a batch into the spool; its journal file goes once the spool file is complete. */
  private async spoolBatch (batch: Batch): Promise<void> {
    const dropped = this.spool.dropped
    await this.spool.append(batch.lines)
    this.journal?.release(batch.journal)
    if (this.spool.dropped > dropped) {
      this.rateLimited.warn('spool-full', { droppedTotal: this.spool.dropped, maxPoints: this.spool.maxPoints }, 'InfluxDB spool is full: dropping the oldest points')
    }
  }

  private recovered (): void {
    this.state = 'ok'
    this.logger.info({ written: this.written }, 'InfluxDB is reachable again; spool replayed')
    this.settle()
  }
}

let clientLogsRouted = false

/** The client library logs to the console by default; services log through pino only. */
function routeClientLogs (logger: Logger): void {
  if (clientLogsRouted) return
  clientLogsRouted = true
  setLogger({
    error: (message: string, error: unknown) => logger.debug({ error: (error as Error | undefined)?.message }, `influxdb-client: ${message}`),
    warn: (message: string, error: unknown) => logger.debug({ error: (error as Error | undefined)?.message }, `influxdb-client: ${message}`)
  })
}

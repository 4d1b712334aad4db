import { createReadStream } from 'node:fs'
import { SingleBar } from 'cli-progress'
import type { Logger } from '@factory-edge/shared/runtime'

/** Where a replay is: rows sent and skipped so far, and the file line of the last row read. */
export interface ReplayPosition {
  sent: number
  skipped: number
  /** Line of the file (1-based, as in messages) of the row last sent. */
  line: number
  /** Pass through the file, from 1 (more than one with --loop). */
  pass: number
}

export interface ReplayProgressOptions {
  /** Lines in the file, for the fraction done and the time left; unknown leaves both out. */
  totalLines?: number
  /** Seconds between log lines. */
  intervalS: number
  logger: Logger
  /** A terminal gets a bar redrawn every second instead of log lines. */
  stream?: NodeJS.WriteStream
}

const BAR_REDRAW_MS = 1000

/**
 * Progress of a replay, which at --speed 1 can take hours: rows sent, rows per second and the time
 * left to the end of the current pass through the file. A bar on a terminal; log lines otherwise, so
 * that logs collected by systemd or docker stay line by line.
 */
export class ReplayProgress {
  private position: ReplayPosition = { sent: 0, skipped: 0, line: 0, pass: 1 }
  /** When the pass's first row went out: connecting to the broker is not part of the pace. */
  private passStart: number | undefined
  private last = { at: Date.now(), sent: 0 }
  private readonly timer: NodeJS.Timeout
  private readonly bar: SingleBar | undefined

  constructor (private readonly options: ReplayProgressOptions) {
    const stream = options.stream ?? process.stderr
    if (stream.isTTY === true) {
      this.bar = new SingleBar({
        stream,
        format: 'replay [{bar}] {percentage}% | {sent} rows sent, {skipped} skipped | {rate} rows/s | {timeLeft} left',
        hideCursor: true,
        barsize: 30
      })
      this.bar.start(options.totalLines ?? 0, 0, this.payload(0))
    }
    this.timer = setInterval(() => this.report(), this.bar !== undefined ? BAR_REDRAW_MS : options.intervalS * 1000)
    this.timer.unref()
  }

  /** Records where the replay is; cheap, called for every row. */
  update (position: ReplayPosition): void {
    if (position.pass !== this.position.pass || (this.passStart === undefined && position.sent > 0)) this.passStart = Date.now()
    this.position = position
  }

  /** Stops reporting; a bar is left on its last state, on its own line. */
  stop (): void {
    clearInterval(this.timer)
    if (this.bar !== undefined) {
      this.bar.update(this.position.line, this.payload(this.rate()))
      this.bar.stop()
    }
  }

  private report (): void {
    const rate = this.rate()
    if (this.bar !== undefined) {
      this.bar.update(this.position.line, this.payload(rate))
      return
    }
    const { sent, skipped, pass } = this.position
    const done = this.fraction()
    this.options.logger.info({
      sent,
      skipped,
      rowsPerS: Math.round(rate * 10) / 10,
      ...(done === undefined ? {} : { percent: Math.floor(done * 100), etaS: this.secondsLeft() }),
      ...(pass > 1 ? { pass } : {})
    }, 'replay progress')
  }

  /** Rows sent per second since the last report. */
  private rate (): number {
    const now = Date.now()
    const seconds = (now - this.last.at) / 1000
    if (seconds <= 0) return 0
    const rate = (this.position.sent - this.last.sent) / seconds
    this.last = { at: now, sent: this.position.sent }
    return rate
  }

  private fraction (): number | undefined {
    const total = this.options.totalLines
    if (total === undefined || total <= 0) return undefined
    return Math.min(1, this.position.line / total)
  }

  /** Time left in this pass at the pace of the pass so far (the file's own pace, times --speed). */
  private secondsLeft (): number | undefined {
    const done = this.fraction()
    if (done === undefined || done <= 0 || this.passStart === undefined) return undefined
    const elapsedS = (Date.now() - this.passStart) / 1000
    return Math.round(elapsedS * (1 - done) / done)
  }

  private payload (rate: number): Record<string, string | number> {
    const left = this.secondsLeft()
    return { sent: this.position.sent, skipped: this.position.skipped, rate: rate.toFixed(1), timeLeft: left === undefined ? '?' : formatSeconds(left) }
  }
}

/** 3725 → "1h02m05s", 65 → "1m05s", 7 → "7s". */
export function formatSeconds (total: number): string {
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = Math.floor(total % 60)
  const pad = (n: number): string => String(n).padStart(2, '0')
  if (h > 0) return `${h}h${pad(m)}m${pad(s)}s`
  if (m > 0) return `${m}m${pad(s)}s`
  return `${s}s`
}

/** Lines in a file (a last line without a newline counts), read as bytes: cheap even for a large recording. */
export async function countLines (path: string): Promise<number> {
  let lines = 0
  let last = 0x0a
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++
    if (chunk.length > 0) last = chunk[chunk.length - 1]
  }
  return last === 0x0a ? lines : lines + 1
}

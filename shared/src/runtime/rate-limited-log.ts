import type { Logger } from './logger.js'

type Level = 'warn' | 'error'

/**
 * At most one log line per key and interval; the lines held back are counted and reported with the
 * next one, so that a flood of bad input cannot flood the logs.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number, suppressed: number }>()

  constructor (private readonly logger: Logger, private readonly intervalMs = 10_000, private readonly maxKeys = 1000) {}

  warn (key: string, fields: Record<string, unknown>, message: string): void {
    this.log('warn', key, fields, message)
  }

  error (key: string, fields: Record<string, unknown>, message: string): void {
    this.log('error', key, fields, message)
  }

  private log (level: Level, key: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now()
    const entry = this.last.get(key)
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++
      return
    }
    // Keys can come from the network (topics, machine ids): forget them all rather than grow without bound.
    if (entry === undefined && this.last.size >= this.maxKeys) this.last.clear()
    const suppressed = entry?.suppressed ?? 0
    if (entry === undefined) this.last.set(key, { at: now, suppressed: 0 })
    else {
      entry.at = now
      entry.suppressed = 0
    }
    this.logger[level](suppressed > 0 ? { ...fields, suppressed } : fields, message)
  }
}

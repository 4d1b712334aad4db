import type { Logger } from '@factory-edge/shared'

/**
 * At most one log line per key and interval; the lines held back are counted and reported with the
 * next one, so that a flood of bad input cannot flood the logs.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number, suppressed: number }>()

  constructor (private readonly logger: Logger, private readonly intervalMs = 10_000, private readonly maxKeys = 1000) {}

  warn (key: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now()
    const entry = this.last.get(key)
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++
      return
    }
    if (entry === undefined && this.last.size >= this.maxKeys) this.last.clear()
    const suppressed = entry?.suppressed ?? 0
    this.last.set(key, { at: now, suppressed: 0 })
    this.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message)
  }
}

/**
 * Timestamps as time-series files write them: ISO 8601 (`2026-01-01T08:00:00Z`, `…+01:00`), the
 * `YYYY-MM-DD HH:MM:SS[.fff]` form historians export, epoch seconds or epoch milliseconds.
 */

/**
 * Numbers below this are epoch seconds, above it milliseconds: 10¹¹ s is the year 5138, 10¹¹ ms is
 * March 1973, so neither unit is mistaken for the other in any data recorded since.
 */
export const EPOCH_SECONDS_BELOW = 1e11

const NUMBER = /^\d+(\.\d+)?$/
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * Unix milliseconds (whole) of a timestamp, or undefined when the text is none of the accepted forms.
 * A date and time without a zone is UTC, so a file gives the same instants on every machine.
 */
export function parseTimestamp (text: string): number | undefined {
  const t = text.trim()
  if (NUMBER.test(t)) {
    const n = Number(t)
    return Math.round(n < EPOCH_SECONDS_BELOW ? n * 1000 : n)
  }
  const m = DATE_TIME.exec(t)
  if (m === null) return undefined
  const time = (m[2] ?? '00:00').replace(',', '.')
  let zone = (m[3] ?? 'Z').toUpperCase()
  // Date.parse wants ±HH:MM.
  if (zone !== 'Z') zone = zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`
  const ms = Date.parse(`${m[1]}T${time}${zone}`)
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : undefined
}

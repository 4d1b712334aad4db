import { pino, type Logger, type LevelWithSilent } from 'pino'
import pretty from 'pino-pretty'

export type { Logger } from 'pino'

export interface LoggerOptions {
  level?: LevelWithSilent
  /** `auto` writes readable lines on a terminal and JSON everywhere else. */
  format?: 'auto' | 'json' | 'pretty'
  /** Where JSON lines go; standard output by default. */
  destination?: NodeJS.WritableStream
}

/** Creates the pino logger of one service, JSON by default and readable on a terminal. */
export function createLogger (name: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info'
  const format = options.format ?? 'auto'
  const destination = options.destination ?? process.stdout
  const usePretty = format === 'pretty' || (format === 'auto' && (destination as { isTTY?: boolean }).isTTY === true)
  if (usePretty) {
    // A synchronous stream rather than a transport: no worker thread, so it also works in the single-file bundle.
    const stream = pretty({ destination: destination as NodeJS.WritableStream & { fd?: number }, sync: true, colorize: (destination as { isTTY?: boolean }).isTTY === true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' })
    return pino({ name, level }, stream)
  }
  return pino({ name, level, base: { name } }, destination)
}

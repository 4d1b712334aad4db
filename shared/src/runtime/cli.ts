import { FactoryEdgeError } from '../errors.js'

/**
 * Runs a command-line entry point: an error of ours becomes one line on stderr (no stack trace) and its
 * exit code (2 for a configuration mistake); any other failure exit code 1.
 */
export function runMain (name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof FactoryEdgeError) {
      process.stderr.write(`${name}: ${err.message}\n`)
      process.exit(err.exitCode)
    }
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`${name}: ${message}\n`)
    if (process.env.DEBUG !== undefined && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`)
    process.exit(1)
  })
}

/**
 * Calls `stop` once on SIGINT or SIGTERM; a second signal, or `stop` taking longer than `timeoutMs`,
 * forces the exit. Returns a function that removes the handlers.
 */
export function onShutdown (stop: (signal: string) => Promise<void>, timeoutMs = 5000): () => void {
  let stopping = false
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130)
    stopping = true
    const timer = setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${timeoutMs} ms, exiting\n`)
      process.exit(1)
    }, timeoutMs)
    timer.unref()
    stop(signal).then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`error during shutdown: ${err instanceof Error ? err.message : String(err)}\n`)
      process.exit(1)
    })
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

/**
 * {@link onShutdown} for a service that is yet to start: the handlers are installed at once, so that a
 * stop requested while it loads or waits for a broker is a clean stop (exit 0) too. `stop` gets the
 * service once `started` has been called with it, undefined before.
 */
export function onShutdownOf<T> (stop: (service: T | undefined, signal: string) => Promise<void>, timeoutMs?: number): { started: (service: T) => T } {
  let current: T | undefined
  onShutdown(async (signal) => await stop(current, signal), timeoutMs)
  return {
    started: (service) => {
      current = service
      return service
    }
  }
}

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The `version` of a package.json. A command passes its own, e.g. `new URL('../../package.json',
 * import.meta.url)` from dist/src/cli.js, and only when `--version` is asked for: read at start-up it would
 * cost every run a file read, and the Pi bundle, which has no package.json beside it, could not start.
 */
export function packageVersion (packageJson: URL): string {
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown }
  if (typeof version !== 'string') throw new Error(`${fileURLToPath(packageJson)} has no version`)
  return version
}

/** What `--version` does: `<name> <version>` on stdout; the version as such, or read from a package.json. */
export function printVersion (name: string, version: string | URL): void {
  process.stdout.write(`${name} ${typeof version === 'string' ? version : packageVersion(version)}\n`)
}

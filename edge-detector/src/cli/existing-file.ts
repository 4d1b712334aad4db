import { existsSync } from 'node:fs'
import { ConfigError } from '@factory-edge/shared/errors'

/**
 * Refuses a file named by a flag that is not there, as a configuration mistake (exit code 2) naming the
 * flag, its environment variable and, when given, how to get the file. A file that is there but
 * unusable is the reader's to report (exit code 1).
 */
export function requireExistingFile (path: string, flag: string, env?: string, howToGetOne?: string): void {
  if (existsSync(path)) return
  const setting = env === undefined ? `--${flag}` : `--${flag} (${env})`
  throw new ConfigError(`${setting}: ${path} does not exist${howToGetOne === undefined ? '' : `; ${howToGetOne}`}`)
}

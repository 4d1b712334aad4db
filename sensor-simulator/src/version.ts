import { printVersion } from '@factory-edge/shared/runtime'

/** The Pi bundle's build sets this (esbuild `define`): the bundle has no package.json beside it. */
declare const BUNDLED_VERSION: string | undefined

/** `--version`: this package's version, from dist/src/ up to its package.json. */
export function printOwnVersion (): void {
  printVersion('sensor-simulator', typeof BUNDLED_VERSION === 'string' ? BUNDLED_VERSION : new URL('../../package.json', import.meta.url))
}

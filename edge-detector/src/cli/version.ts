import { printVersion } from '@factory-edge/shared/runtime'

/** `--version` of the service and of every sub-command: `edge-detector <version>` of this package. */
export function printDetectorVersion (): void {
  // From dist/src/cli/ up to this package's package.json.
  printVersion('edge-detector', new URL('../../../package.json', import.meta.url))
}

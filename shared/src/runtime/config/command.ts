import { formatHelp } from './help.js'
import { parseConfig, type ConfigSpec, type ParsedArgs } from './options.js'

/** What a command says about itself for `--help` and `--version`. */
export interface CommandAbout {
  usage: string
  summary: string
  /** Prints `<command> <version>` (see printVersion). */
  printVersion: () => void
}

/**
 * A command's parsed arguments, or undefined when they asked for `--help` or `--version`, which has then
 * been printed: every command starts the same way, so it is written once.
 */
export function parseCommand<S extends ConfigSpec> (spec: S, argv: readonly string[], about: CommandAbout): ParsedArgs<S> | undefined {
  const parsed = parseConfig(spec, argv)
  if (parsed.help) {
    process.stdout.write(formatHelp(about.usage, about.summary, spec))
    return undefined
  }
  if (parsed.version) {
    about.printVersion()
    return undefined
  }
  return parsed
}

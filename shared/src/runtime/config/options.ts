/**
 * Declarative command-line and environment configuration.
 *
 * Every service describes its settings once (flag, environment variable, type, default, limits,
 * description); the same description drives parsing, validation and `--help`, so the three can never
 * disagree. Precedence is flag > environment > default (12-factor).
 */
import { ConfigError } from '../../errors.js'

export { ConfigError }

interface BaseOption {
  /** Long flag without the leading dashes, e.g. `port` for `--port`. */
  flag: string
  /** Environment variable that sets the same value. */
  env?: string
  /** One line for `--help`. */
  description: string
}

export interface StringOption extends BaseOption {
  type: 'string'
  default?: string
  /** Accepted values must match; `hint` says in words what is allowed. */
  pattern?: RegExp
  hint?: string
}

export interface NumberOption extends BaseOption {
  type: 'integer' | 'number'
  default?: number
  min?: number
  max?: number
}

export interface BooleanOption extends BaseOption {
  type: 'boolean'
  default?: boolean
}

export interface EnumOption<C extends string = string> extends BaseOption {
  type: 'enum'
  choices: readonly C[]
  default?: C
}

export interface ListOption extends BaseOption {
  type: 'list'
  default?: readonly string[]
}

export type OptionSpec = StringOption | NumberOption | BooleanOption | EnumOption | ListOption
export type ConfigSpec = Record<string, OptionSpec>

type ValueOf<O> = O extends { type: 'string' }
  ? string
  : O extends { type: 'integer' | 'number' }
    ? number
    : O extends { type: 'boolean' }
      ? boolean
      : O extends { type: 'enum'; choices: readonly (infer C)[] }
        ? C
        : O extends { type: 'list' }
          ? string[]
          : never

/** The parsed configuration object a spec describes; options without a default may be undefined. */
export type ConfigOf<S extends ConfigSpec> = {
  -readonly [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined
}

export interface ParsedArgs<S extends ConfigSpec> {
  config: ConfigOf<S>
  /** Arguments that are not options (sub-commands, file names). */
  positionals: string[]
  /** True when `-h` or `--help` was given. */
  help: boolean
}

function describeSource (opt: OptionSpec, fromEnv: boolean): string {
  return fromEnv && opt.env !== undefined ? `${opt.env} (--${opt.flag})` : `--${opt.flag}${opt.env !== undefined ? ` (${opt.env})` : ''}`
}

function allowed (opt: OptionSpec): string {
  switch (opt.type) {
    case 'integer':
    case 'number': {
      const kind = opt.type === 'integer' ? 'an integer' : 'a number'
      if (opt.min !== undefined && opt.max !== undefined) return `${kind} from ${opt.min} to ${opt.max}`
      if (opt.min !== undefined) return `${kind} >= ${opt.min}`
      if (opt.max !== undefined) return `${kind} <= ${opt.max}`
      return kind
    }
    case 'boolean': return 'true or false'
    case 'enum': return `one of ${opt.choices.join(', ')}`
    case 'list': return 'a comma-separated list'
    case 'string': return opt.hint ?? 'a string'
  }
}

/** Converts one raw string to the option's type, or throws a ConfigError naming the setting. */
function convert (opt: OptionSpec, raw: string, fromEnv: boolean): unknown {
  const fail = (): never => {
    throw new ConfigError(`invalid value ${JSON.stringify(raw)} for ${describeSource(opt, fromEnv)}: expected ${allowed(opt)}`)
  }
  switch (opt.type) {
    case 'integer':
    case 'number': {
      const value = raw.trim() === '' ? Number.NaN : Number(raw)
      if (!Number.isFinite(value)) fail()
      if (opt.type === 'integer' && !Number.isInteger(value)) fail()
      if (opt.min !== undefined && value < opt.min) fail()
      if (opt.max !== undefined && value > opt.max) fail()
      return value
    }
    case 'boolean': {
      const v = raw.toLowerCase()
      if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true
      if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false
      return fail()
    }
    case 'enum':
      if (!opt.choices.includes(raw)) fail()
      return raw
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
    case 'string':
      if (opt.pattern !== undefined && !opt.pattern.test(raw)) fail()
      return raw
  }
}

/** Parses argv (without node and script) and the environment against a spec; throws ConfigError. */
export function parseConfig<S extends ConfigSpec> (
  spec: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env
): ParsedArgs<S> {
  const byFlag = new Map<string, [string, OptionSpec]>()
  for (const [key, opt] of Object.entries(spec)) byFlag.set(opt.flag, [key, opt])

  const config: Record<string, unknown> = {}
  for (const [key, opt] of Object.entries(spec)) {
    if (opt.default !== undefined) config[key] = Array.isArray(opt.default) ? [...opt.default] : opt.default
    const raw = opt.env !== undefined ? env[opt.env] : undefined
    if (raw !== undefined && raw !== '') config[key] = convert(opt, raw, true)
  }

  const positionals: string[] = []
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-h' || arg === '--help') {
      help = true
      continue
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1 && Number.isNaN(Number(arg))) {
        throw new ConfigError(`unknown option ${arg}; run with --help to see the options`)
      }
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1)
    let entry = byFlag.get(name)
    if (entry === undefined && name.startsWith('no-') && inline === undefined) {
      const negated = byFlag.get(name.slice(3))
      if (negated !== undefined && negated[1].type === 'boolean') {
        entry = negated
        name = name.slice(3)
        inline = 'false'
      }
    }
    if (entry === undefined) throw new ConfigError(`unknown option --${name}; run with --help to see the options`)
    const [key, opt] = entry
    if (inline === undefined) {
      const next = argv[i + 1]
      if (opt.type === 'boolean' && (next === undefined || !/^(true|false|1|0|yes|no|on|off)$/i.test(next))) {
        inline = 'true'
      } else {
        if (next === undefined) throw new ConfigError(`missing value for --${opt.flag}: expected ${allowed(opt)}`)
        inline = next
        i++
      }
    }
    config[key] = convert(opt, inline, false)
  }
  return { config: config as ConfigOf<S>, positionals, help }
}

function formatDefault (opt: OptionSpec): string {
  if (opt.default === undefined) return ''
  const value = Array.isArray(opt.default) ? opt.default.join(',') : String(opt.default)
  return value === '' ? '' : ` [default: ${value}]`
}

/** Renders `--help` text: usage, summary, then one block per option with its env var and default. */
export function formatHelp (usage: string, summary: string, spec: ConfigSpec): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options:']
  const entries = Object.values(spec)
  const width = Math.max(...entries.map((o) => flagLabel(o).length), '-h, --help'.length) + 2
  for (const opt of entries) {
    const label = flagLabel(opt)
    const env = opt.env !== undefined ? ` (env ${opt.env})` : ''
    lines.push(`  ${label.padEnd(width)}${opt.description}${formatDefault(opt)}${env}`)
  }
  lines.push(`  ${'-h, --help'.padEnd(width)}Show this help and exit`)
  return lines.join('\n') + '\n'
}

function flagLabel (opt: OptionSpec): string {
  switch (opt.type) {
    case 'boolean': return `--[no-]${opt.flag}`
    case 'enum': return `--${opt.flag} <${opt.choices.join('|')}>`
    case 'integer':
    case 'number': return `--${opt.flag} <n>`
    case 'list': return `--${opt.flag} <a,b,..>`
    case 'string': return `--${opt.flag} <value>`
  }
}

/**
 * Declarative command-line and environment configuration.
 *
 * Every service describes its settings once (flag, environment variable, type, default, limits,
 * description); the same description drives parsing, validation and `--help`, so the three can never
 * disagree. Precedence is flag > environment > default (12-factor). A `list` flag may repeat, and each
 * value may itself be comma-separated: `--tags a --tags b,c` is `['a', 'b', 'c']`.
 */
import { readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError } from '../../errors.js'
import { nearestOption } from './suggest.js'

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
  /**
   * A password or token: it may also come from the file named by `<env>_FILE` (Docker and compose
   * secrets), and the example files' placeholders (`change-me…`) are refused.
   */
  secret?: boolean
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
  /** True when `--version` was given: print `<command> <version>` (see printVersion) and exit. */
  version: boolean
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

type ArgsOptions = NonNullable<ParseArgsConfig['options']>

/** Words that a boolean flag accepts as its next argument (`--ws false`), like its environment variable. */
const BOOLEAN_WORD = /^(true|false|1|0|yes|no|on|off)$/i

/** parseArgs' view of a spec: which flags take a value, which repeat; `--no-<flag>` turns a boolean off. */
function argsOptions (spec: ConfigSpec): ArgsOptions {
  const options: ArgsOptions = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } }
  for (const opt of Object.values(spec)) {
    if (opt.type === 'boolean') {
      options[opt.flag] = { type: 'boolean' }
      options[`no-${opt.flag}`] = { type: 'boolean' }
    } else {
      options[opt.flag] = { type: 'string', multiple: opt.type === 'list' }
    }
  }
  return options
}

function unknownOption (rawName: string, options: ArgsOptions): ConfigError {
  const nearest = rawName.startsWith('--') ? nearestOption(rawName.slice(2), Object.keys(options)) : undefined
  const hint = nearest !== undefined ? `did you mean --${nearest}?` : 'run with --help to see the options'
  return new ConfigError(`unknown option ${rawName}; ${hint}`)
}

/**
 * Parses argv (without node and script) and the environment against a spec; throws ConfigError.
 * `node:util` parseArgs splits argv into tokens; it runs non-strict because strict mode refuses values
 * that start with a dash (`--http-port -1`) and booleans with a value (`--ws=false`), which scripts use;
 * unknown options and missing values are checked here instead, with the setting named and a suggestion.
 */
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
    const raw = opt.env !== undefined ? env[opt.env] ?? secretFromFile(opt, env) : undefined
    if (raw !== undefined && raw !== '') config[key] = convert(opt, raw, true)
  }

  const options = argsOptions(spec)
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true })
  const positionals: string[] = []
  const lists = new Map<string, string[]>()
  let help = false
  let version = false
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    if (token.kind === 'positional') positionals.push(token.value)
    if (token.kind !== 'option') continue
    if (token.name === 'help') help = true
    else if (token.name === 'version') version = true
    else if (!Object.hasOwn(options, token.name)) throw unknownOption(token.rawName, options)
    else if (!byFlag.has(token.name)) {
      const [key, opt] = byFlag.get(token.name.slice(3)) as [string, OptionSpec]
      if (token.value !== undefined) throw new ConfigError(`${token.rawName} takes no value; use ${token.rawName} alone or --${opt.flag}=${allowed(opt).replace(' or ', '|')}`)
      config[key] = false
    } else {
      const [key, opt] = byFlag.get(token.name) as [string, OptionSpec]
      let raw = token.value
      if (opt.type === 'boolean' && raw === undefined) {
        const next = tokens[i + 1]
        const word = next?.kind === 'positional' && next.index === token.index + 1 && BOOLEAN_WORD.test(next.value)
        raw = word ? next.value : 'true'
        if (word) i++
      }
      if (raw === undefined) throw new ConfigError(`missing value for --${opt.flag}: expected ${allowed(opt)}`)
      const value = convert(opt, raw, false)
      if (opt.type === 'list') lists.set(key, [...(lists.get(key) ?? []), ...value as string[]])
      else config[key] = value
    }
  }
  for (const [key, values] of lists) config[key] = values
  for (const [key, opt] of Object.entries(spec)) {
    if (opt.type === 'string' && opt.secret === true && typeof config[key] === 'string' && PLACEHOLDER.test(config[key])) {
      throw new ConfigError(`${describeSource(opt, false)} is still the example's placeholder ("${config[key]}"): set a secret of your own`)
    }
  }
  return { config: config as ConfigOf<S>, positionals, help, version }
}

/** What the example files (`.env.example`) put where a secret goes. */
const PLACEHOLDER = /^change[-_]?me/i

/** A secret from the file `<env>_FILE` names (Docker secrets), without its final line break. */
function secretFromFile (opt: OptionSpec, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (opt.type !== 'string' || opt.secret !== true || opt.env === undefined) return undefined
  const path = env[`${opt.env}_FILE`]
  if (path === undefined || path === '') return undefined
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '')
  } catch (err) {
    throw new ConfigError(`${opt.env}_FILE=${path}: cannot read the secret for --${opt.flag} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
}

import wrapAnsi from 'wrap-ansi'
import type { ConfigSpec, OptionSpec } from './options.js'

/** Labels longer than this (long enum choices) put their description on the next line instead of pushing every description right. */
const MAX_LABEL = 30
/** Descriptions keep at least this many columns, however narrow the terminal. */
const MIN_TEXT = 24

/** Width `--help` wraps to: the terminal's, or 80 when stdout is not a terminal (a pipe, a file, a test). */
export function helpColumns (): number {
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : 80
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

function formatDefault (opt: OptionSpec): string {
  if (opt.default === undefined) return ''
  const value = Array.isArray(opt.default) ? opt.default.join(',') : String(opt.default)
  return value === '' ? '' : ` [default: ${value}]`
}

/** `--port (env BROKER_PORT)`: how a user changes a setting, for error messages. */
export function settingName (opt: OptionSpec): string {
  return `--${opt.flag}${opt.env !== undefined ? ` (env ${opt.env})` : ''}`
}

function describe (opt: OptionSpec): string {
  const secretFile = opt.type === 'string' && opt.secret === true ? ` or the file in ${opt.env ?? ''}_FILE` : ''
  const env = opt.env !== undefined ? ` (env ${opt.env}${secretFile})` : ''
  return `${opt.description}${formatDefault(opt)}${env}`
}

/**
 * Renders `--help` text: usage, summary, then one block per option with its env var and default.
 * Descriptions wrap to `columns` with a hanging indent (wrap-ansi: it measures wide characters as a
 * terminal does); a description that does not fit on the label's line starts on the next one.
 */
export function formatHelp (usage: string, summary: string, spec: ConfigSpec, columns = helpColumns()): string {
  const rows: Array<[string, string]> = Object.values(spec).map((opt) => [flagLabel(opt), describe(opt)])
  rows.push(['-h, --help', 'Show this help and exit'], ['--version', 'Show the version and exit'])
  const labelWidth = Math.min(MAX_LABEL, Math.max(...rows.map(([label]) => label.length)))
  const indent = ' '.repeat(2 + labelWidth + 2)
  const textWidth = Math.max(MIN_TEXT, columns - indent.length - 1)
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options:']
  for (const [label, text] of rows) {
    const wrapped = wrapAnsi(text, textWidth).split('\n')
    if (label.length > labelWidth) lines.push(`  ${label}`)
    else lines.push(`  ${label.padEnd(labelWidth + 2)}${wrapped.shift() ?? ''}`)
    for (const line of wrapped) lines.push(indent + line)
  }
  return lines.join('\n') + '\n'
}

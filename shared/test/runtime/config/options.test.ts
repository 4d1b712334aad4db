import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, formatHelp, parseConfig, type ConfigSpec } from '../../../src/runtime/config/options.js'

const spec = {
  port: { flag: 'port', env: 'T_PORT', type: 'integer', min: 0, max: 65535, default: 1883, description: 'TCP port' },
  mode: { flag: 'mode', env: 'T_MODE', type: 'enum', choices: ['fast', 'safe'], default: 'safe', description: 'Mode' },
  verbose: { flag: 'verbose', type: 'boolean', default: false, description: 'Talk more' },
  name: { flag: 'name', env: 'T_NAME', type: 'string', description: 'A name' },
  tags: { flag: 'tags', type: 'list', default: [], description: 'Tags' }
} as const satisfies ConfigSpec

test('defaults apply when nothing is given', () => {
  const { config, positionals, help } = parseConfig(spec, [], {})
  assert.deepEqual(config, { port: 1883, mode: 'safe', verbose: false, tags: [] })
  assert.deepEqual(positionals, [])
  assert.equal(help, false)
})

test('flags override environment variables, which override defaults', () => {
  assert.equal(parseConfig(spec, [], { T_PORT: '1999' }).config.port, 1999)
  assert.equal(parseConfig(spec, ['--port', '2000'], { T_PORT: '1999' }).config.port, 2000)
  assert.equal(parseConfig(spec, ['--port=2001'], {}).config.port, 2001)
})

test('booleans, lists, positionals and --help', () => {
  const parsed = parseConfig(spec, ['run', '--verbose', '--tags', 'a, b', 'file.csv', '-h'], {})
  assert.equal(parsed.config.verbose, true)
  assert.deepEqual(parsed.config.tags, ['a', 'b'])
  assert.deepEqual(parsed.positionals, ['run', 'file.csv'])
  assert.equal(parsed.help, true)
  assert.equal(parseConfig(spec, ['--no-verbose'], {}).config.verbose, false)
  assert.equal(parseConfig(spec, ['--verbose', 'false'], {}).config.verbose, false)
})

test('a wrong value names the setting and what is allowed', () => {
  assert.throws(() => parseConfig(spec, ['--port', '70000'], {}), (err: Error) =>
    err instanceof ConfigError && err.message.includes('--port') && err.message.includes('from 0 to 65535'))
  assert.throws(() => parseConfig(spec, [], { T_PORT: 'abc' }), (err: Error) =>
    err instanceof ConfigError && err.message.includes('T_PORT') && err.message.includes('"abc"'))
  assert.throws(() => parseConfig(spec, ['--mode', 'slow'], {}), /one of fast, safe/)
  assert.throws(() => parseConfig(spec, ['--nope'], {}), /unknown option --nope/)
  assert.throws(() => parseConfig(spec, ['--port'], {}), /missing value for --port/)
})

test('help lists every option with its environment variable and default', () => {
  const text = formatHelp('tool [options]', 'Does things.', spec)
  for (const flag of ['--port', '--mode', '--[no-]verbose', '--name', '--tags', '--help']) assert.ok(text.includes(flag), flag)
  assert.match(text, /TCP port \[default: 1883\] \(env T_PORT\)/)
})

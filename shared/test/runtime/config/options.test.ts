import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, formatHelp, parseConfig, type ConfigSpec } from '../../../src/runtime/config/index.js'

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

test('a list flag repeats, each value may be comma-separated, and flags replace the environment', () => {
  const listSpec = { tags: { flag: 'tags', env: 'T_TAGS', type: 'list', description: 'Tags' } } as const satisfies ConfigSpec
  assert.deepEqual(parseConfig(listSpec, ['--tags', 'a', '--tags=b,c', '--tags', ' d '], {}).config.tags, ['a', 'b', 'c', 'd'])
  assert.deepEqual(parseConfig(listSpec, [], { T_TAGS: 'x,y' }).config.tags, ['x', 'y'])
  assert.deepEqual(parseConfig(listSpec, ['--tags', 'a'], { T_TAGS: 'x,y' }).config.tags, ['a'])
})

test('values that start with a dash, booleans with a value, the last flag wins, -- ends the options', () => {
  const signed = { offset: { flag: 'offset', type: 'integer', description: 'Offset' }, verbose: spec.verbose } as const satisfies ConfigSpec
  assert.equal(parseConfig(signed, ['--offset', '-1'], {}).config.offset, -1)
  assert.equal(parseConfig(signed, ['--offset=-2'], {}).config.offset, -2)
  assert.equal(parseConfig(signed, ['--verbose=false'], {}).config.verbose, false)
  assert.equal(parseConfig(signed, ['--verbose=yes'], {}).config.verbose, true)
  assert.equal(parseConfig(signed, ['--verbose', '--no-verbose'], {}).config.verbose, false)
  assert.equal(parseConfig(signed, ['--no-verbose', '--verbose'], {}).config.verbose, true)
  const ended = parseConfig(signed, ['--verbose', '--', 'false', '--offset'], {})
  assert.equal(ended.config.verbose, true)
  assert.deepEqual(ended.positionals, ['false', '--offset'])
  assert.throws(() => parseConfig(signed, ['--verbose=maybe'], {}), /invalid value "maybe" for --verbose: expected true or false/)
  assert.throws(() => parseConfig(signed, ['--no-verbose=1'], {}), (err: Error) => err instanceof ConfigError && err.message.includes('--no-verbose takes no value'))
})

test('an unknown option suggests the nearest known one', () => {
  const typo = { brokerUrl: { flag: 'broker-url', type: 'string', description: 'URL' }, machines: { flag: 'machines', type: 'integer', description: 'n' } } as const satisfies ConfigSpec
  assert.throws(() => parseConfig(typo, ['--brokr-url', 'mqtt://x'], {}), (err: Error) =>
    err instanceof ConfigError && err.message === 'unknown option --brokr-url; did you mean --broker-url?')
  assert.throws(() => parseConfig(typo, ['--machnes', '3'], {}), /unknown option --machnes; did you mean --machines\?/)
  assert.throws(() => parseConfig(typo, ['--versoin'], {}), /did you mean --version\?/)
  assert.throws(() => parseConfig(typo, ['--colour', 'red'], {}), /unknown option --colour; run with --help to see the options/)
  assert.throws(() => parseConfig(typo, ['-x'], {}), /unknown option -x; run with --help/)
})

test('--version is reported like --help', () => {
  assert.equal(parseConfig(spec, [], {}).version, false)
  const parsed = parseConfig(spec, ['--port', '1', '--version'], {})
  assert.equal(parsed.version, true)
  assert.equal(parsed.help, false)
  assert.match(formatHelp('tool [options]', 'Does things.', spec), /--version +Show the version and exit/)
})

test('help wraps descriptions to the width with a hanging indent', () => {
  const long = {
    rate: { flag: 'rate', env: 'T_RATE', type: 'number', default: 1, description: 'Readings per second per machine, for every machine of the fleet, however many there are' },
    level: { flag: 'level', type: 'enum', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], description: 'Minimum level' }
  } as const satisfies ConfigSpec
  const text = formatHelp('tool [options]', 'Does things.', long, 60)
  const options = text.slice(text.indexOf('Options:\n') + 'Options:\n'.length).trimEnd().split('\n')
  for (const line of options) assert.ok(line.length <= 60, `${line.length} columns: ${line}`)
  const first = options.findIndex((line) => line.startsWith('  --rate <n>'))
  const column = options[first].indexOf('Readings')
  assert.ok(column > 10, options[first])
  assert.ok(options[first + 1].startsWith(' '.repeat(column)) && options[first + 1][column] !== ' ', options[first + 1])
  assert.match(options.join(' ').replace(/\s+/g, ' '), /however many there are \[default: 1\] \(env T_RATE\)/)
  const level = options.findIndex((line) => line.startsWith('  --level <'))
  assert.equal(options[level].trimEnd(), '  --level <fatal|error|warn|info|debug|trace>', 'a label too long for the column stands alone')
  assert.equal(options[level + 1].slice(column), 'Minimum level')
  assert.equal(formatHelp('tool', 'x', long, 200).split('\n').filter((l) => l.includes('Readings')).length, 1)
})

test('a secret can come from the file <ENV>_FILE names; example placeholders are refused', async () => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = await mkdtemp(join(tmpdir(), 'factory-edge-secret-'))
  try {
    const spec = { password: { flag: 'password', env: 'MQTT_PASSWORD', type: 'string', secret: true, description: 'MQTT password' } } as const satisfies ConfigSpec
    const file = join(dir, 'mqtt-password')
    await writeFile(file, 's3cret-from-a-file\n')
    assert.equal(parseConfig(spec, [], { MQTT_PASSWORD_FILE: file }).config.password, 's3cret-from-a-file', 'read, without the final line break')
    assert.equal(parseConfig(spec, [], { MQTT_PASSWORD: 'direct', MQTT_PASSWORD_FILE: file }).config.password, 'direct', 'the variable itself wins')
    assert.equal(parseConfig(spec, ['--password', 'flag'], { MQTT_PASSWORD_FILE: file }).config.password, 'flag')
    assert.throws(() => parseConfig(spec, [], { MQTT_PASSWORD_FILE: join(dir, 'missing') }), (err: Error) => err instanceof ConfigError && /MQTT_PASSWORD_FILE=.*missing: cannot read the secret for --password \(ENOENT\)/.test(err.message))
    assert.throws(() => parseConfig(spec, [], { MQTT_PASSWORD: 'change-me-detector' }), (err: Error) => err instanceof ConfigError && /--password \(MQTT_PASSWORD\) is still the example's placeholder/.test(err.message))
    await writeFile(file, 'CHANGE_ME\n')
    assert.throws(() => parseConfig(spec, [], { MQTT_PASSWORD_FILE: file }), /placeholder/)
    assert.match(formatHelp('x', 'y', spec, 200), /env MQTT_PASSWORD or the file in MQTT_PASSWORD_FILE/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

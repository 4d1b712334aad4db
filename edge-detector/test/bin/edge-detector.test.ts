import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually } from '@factory-edge/test-support/wait'
import { freePort, holdPort } from '@factory-edge/test-support/ports'
import { assertOneLineExit } from '@factory-edge/test-support/child-process'
import { brokerAndModel } from '../helpers/services.js'

const here = dirname(fileURLToPath(import.meta.url))
const bin = join(here, '../../src/bin/edge-detector.js')
/** The committed command npm links: its #! line carries the node flags the service runs with. */
const command = join(here, '../../../bin/edge-detector.js')

function run (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += String(d) })
    child.stderr.on('data', (d) => { stderr += String(d) })
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

test('--help documents every option; bad settings exit 2 with one clear line', async () => {
  const help = await run(['--help'])
  assert.equal(help.code, 0)
  for (const flag of ['--broker-url', '--model', '--shard', '--alert-k', '--influx-url', '--spool-dir', '--retrain-cron', '--http-port', '--max-machines']) assert.ok(help.stdout.includes(flag), flag)
  const bad = await run(['--shard', '4/3'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^edge-detector: invalid value "4\/3" for --shard/)
  const env = await run([], { ALERT_K: 'many' })
  assert.equal(env.code, 2)
  assert.match(env.stderr, /ALERT_K/)
})

test('--version prints the package version for the service and every sub-command', async () => {
  const { version } = JSON.parse(await readFile(join(here, '../../../package.json'), 'utf8')) as { version: string }
  for (const args of [['--version'], ['run', '--version'], ['train', '--version'], ['evaluate', '--version']]) {
    const out = await run(args)
    assert.equal(out.code, 0, out.stderr)
    assert.equal(out.stdout, `edge-detector ${version}\n`, args.join(' '))
  }
  for (const args of [['--help'], ['train', '--help'], ['evaluate', '--help']]) assert.match((await run(args)).stdout, /--version +Show the version and exit/, args.join(' '))
  const typo = await run(['train', '--synthetc', '100'])
  assert.equal(typo.code, 2)
  assert.equal(typo.stderr, 'edge-detector train: unknown option --synthetc; did you mean --synthetic?\n')
})

test('the command starts the service with a capped young generation, logs that the InfluxDB output is off, and exits 0 on SIGTERM', async (t) => {
  const { broker, modelPath } = await brokerAndModel(t)
  const child = spawn(command, ['--broker-url', broker.url, '--model', modelPath, '--http-port', '0', '--log-format', 'json'])
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  child.stdout.on('data', (d) => { stdout += String(d) })
  await eventually(() => stdout.includes('connected and subscribed'), 20_000, 'the service to connect')
  assert.match(stdout, /InfluxDB output is off/)
  // env(1) execs node in place, so the service is this very process; the 10,000-machine memory figure
  // (README) depends on the flag.
  const argv = (await readFile(`/proc/${child.pid as number}/cmdline`, 'utf8')).split('\0')
  assert.ok(argv.includes('--max-semi-space-size=4'), `node runs with ${argv.join(' ')}`)
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
  assert.match(stdout, /"msg":"stopped"/)
})

test('the configuration docs (linked from the README) list every option with its environment variable', async () => {
  const { readFile } = await import('node:fs/promises')
  const { detectorConfigSpec } = await import('../../src/config.js')
  const docs = await readFile(join(dirname(fileURLToPath(import.meta.url)), '../../../../docs/configuration.md'), 'utf8')
  const section = docs.slice(docs.indexOf('## edge-detector'))
  for (const option of Object.values(detectorConfigSpec)) {
    const flag = option.type === 'boolean' ? `--[no-]${option.flag}` : `--${option.flag}`
    assert.ok(section.includes(`| \`${flag}`), `docs/configuration.md lacks ${flag}`)
    if (option.env !== undefined) assert.ok(section.includes(`\`${option.env}\``), `docs/configuration.md lacks ${option.env}`)
  }
})

test('a taken --http-port: one line naming the flag and HTTP_PORT, exit 2', async (t) => {
  const { broker, modelPath } = await brokerAndModel(t)
  const held = await holdPort()
  t.after(held.release)
  const result = spawnSync(process.execPath, [bin, '--broker-url', broker.url, '--model', modelPath, '--http-port', String(held.port)], { encoding: 'utf8' })
  assertOneLineExit(result, 2, new RegExp(`^edge-detector: HTTP endpoint \\(/healthz, /metrics\\): port ${held.port} on 127.0.0.1 is already in use .*; choose another with --http-port \\(env HTTP_PORT\\)$`))
})

test('SIGTERM or SIGINT before the first connection: the shutdown line and exit 0', async (t) => {
  const { modelPath } = await brokerAndModel(t)
  // Nothing listens on this port: the detector keeps trying to connect.
  const nobody = await freePort()
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const child = spawn(process.execPath, [bin, '--broker-url', `mqtt://127.0.0.1:${nobody}`, '--model', modelPath, '--http-port', '0', '--log-format', 'json'])
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    let stdout = ''
    child.stdout.on('data', (d) => { stdout += String(d) })
    await eventually(() => stdout.includes('serving /healthz and /metrics'), 20_000, 'the service to start connecting')
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.doesNotMatch(stdout, /connected and subscribed/)
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    child.kill(signal)
    assert.equal(await exited, 0, stdout)
    assert.match(stdout, new RegExp(`"signal":"${signal}".*"msg":"shutting down"`))
    assert.match(stdout, /"msg":"stopped"/)
  }
})

test('a profiles file with a mistake: one line naming the file, the profile and the key, exit 2, before anything starts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'profiles-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'profiles.yaml')
  await writeFile(file, 'profiles:\n  pump:\n    machines: pump-*\n    signals:\n      flow: { unit: m3/h, min: 10, max: 5 }\n    features: auto\n    learn: { readings: 100 }\n')
  const bad = await run(['--profiles', file, '--broker-url', 'mqtt://127.0.0.1:1'])
  assert.equal(bad.code, 2)
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr)
  assert.match(bad.stderr, /profiles\.yaml.*pump.*signals\.flow.*min/)
  const missing = await run(['--profiles', join(dir, 'nope.yaml')])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /nope\.yaml: cannot read the profiles file/)
})

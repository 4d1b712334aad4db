import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { parseConfig } from '@factory-edge/shared/runtime'
import { simulatorConfigSpec } from '../src/config.js'
import { startAedes } from '@factory-edge/test-support/aedes'
import { eventually } from '@factory-edge/test-support/wait'
import { freePort } from '@factory-edge/test-support/ports'
import { record } from './helpers/recorder.js'

const BIN = fileURLToPath(new URL('../src/bin/sensor-simulator.js', import.meta.url))
const cleanups: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

async function cli (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

test('--help lists every option with its environment variable, for run and replay', async () => {
  const run = await cli(['--help'])
  assert.equal(run.code, 0)
  for (const text of ['--machines', 'SIM_MACHINES', '--scenario', '--failure-rate', '--broker-url', 'MQTT_URL', '--qos', '--connection', '--queue-limit']) assert.ok(run.stdout.includes(text), text)
  const replay = await cli(['replay', '--help'])
  assert.equal(replay.code, 0)
  for (const text of ['--csv', '--speed', '--machine', '--interval', '--stats-interval']) assert.ok(replay.stdout.includes(text), text)
})

test('bad settings exit with code 2 and one line naming the problem', async () => {
  const unknown = await cli(['--machnes', '3'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown option --machnes/)
  const badScenario = await cli(['--scenario', 'melt:machine-1@3s'])
  assert.equal(badScenario.code, 2)
  assert.match(badScenario.stderr, /unknown mode "melt"/)
  const badRate = await cli([], { SIM_RATE: 'fast' })
  assert.equal(badRate.code, 2)
  assert.match(badRate.stderr, /SIM_RATE/)
  const noFile = await cli(['replay'])
  assert.equal(noFile.code, 2)
  assert.match(noFile.stderr, /replay needs a file/)
})

test('unusable files and machine ids are configuration mistakes too: exit code 2 and one line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const scenarios = join(dir, 'scenarios')
  const blob = join(dir, 'blob.csv')
  await writeFile(scenarios, 'overheat:machine-1@1s\nmelt:machine-2@2s\n')
  await writeFile(blob, Buffer.alloc(64, 0))
  const cases: Array<[string[], RegExp]> = [
    [['--scenario-file', scenarios], new RegExp(`^sensor-simulator: ${scenarios}:2: unknown mode "melt"`)],
    [['--scenario-file', join(dir, 'none')], /^sensor-simulator: --scenario-file .*none does not exist$/],
    [['--scenario-file', dir], /^sensor-simulator: cannot read --scenario-file .*: EISDIR/],
    [['--machines', '2', '--scenario', 'overheat:machine-9@1s'], /^sensor-simulator: scenario HDF:machine-9@1000ms names an unknown machine/],
    [['--machine-ids', 'press-1,press-1'], /^sensor-simulator: invalid --machine-ids: duplicate machine id "press-1"$/],
    [['--ca-file', join(dir, 'none')], /^sensor-simulator: cannot read --ca-file .*none: ENOENT/],
    [['replay', '--csv', join(dir, 'none.csv')], /^sensor-simulator: cannot replay: .*none\.csv does not exist$/],
    [['replay', '--csv', blob], /^sensor-simulator: cannot replay: .*blob\.csv is a binary file/],
    [['--kinds', 'ai4i:1,lathe:2'], /^sensor-simulator: invalid --kinds: "lathe:2" is not kind:count/],
    [['--kinds', 'pump:2', '--machine-ids', 'a,b'], /^sensor-simulator: --kinds and --machine-ids cannot be combined/],
    [['--kind', 'pump', '--scenario', 'overheat:pump-1@1s'], /^sensor-simulator: scenario HDF:pump-1@1000ms: pump-1 cannot have HDF/]
  ]
  for (const [args, message] of cases) {
    const out = await cli([...args, '--broker-url', 'mqtt://127.0.0.1:1', ...(args[0] === 'replay' ? [] : ['--duration', '0.1'])])
    assert.equal(out.code, 2, `${args.join(' ')}: ${out.stderr}`)
    assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr)
    assert.match(out.stderr.trim(), message)
  }
})

test('runs machines against a broker for --duration and exits cleanly', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const out = await cli(['--broker-url', broker.url, '--machines', '2', '--rate', '10', '--duration', '1.5', '--seed', '4', '--scenario', 'overheat:machine-1@0.2s', '--scenario', 'spike:machine-2@0.3s', '--log-format', 'json'])
  assert.equal(out.code, 0, out.stderr)
  await eventually(() => rec.of('truth').length >= 2, 10_000, 'ground truth')
  assert.ok(rec.of('telemetry').length >= 20, `${rec.of('telemetry').length} readings`)
  assert.match(out.stdout, /"msg":"simulator started"/)
})

test('--kind pump runs pumps and --kinds a mixed fleet, with pump failures in scenarios', async () => {
  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const pumps = await cli(['--broker-url', broker.url, '--kind', 'pump', '--machines', '2', '--rate', '10', '--duration', '1', '--scenario', 'cavitation:pump-2@0.2s'])
  assert.equal(pumps.code, 0, pumps.stderr)
  const mixed = await cli(['--broker-url', broker.url, '--kinds', 'ai4i:1,pump:1', '--rate', '10', '--duration', '1'])
  assert.equal(mixed.code, 0, mixed.stderr)
  await eventually(() => rec.of('truth').length >= 1, 10_000, 'ground truth')
  const machines = new Set(rec.of('telemetry').map((m) => m.topic.split('/')[1]))
  assert.deepEqual([...machines].sort(), ['machine-1', 'pump-1', 'pump-2'])
  assert.match(rec.of('truth')[0].payload.toString(), /"machineId":"pump-2".*"mode":"cavitation","phase":"start"/)
})

test('repeated --scenario flags are joined', () => {
  const { config } = parseConfig(simulatorConfigSpec, ['--scenario', 'a', '--rate', '2', '--scenario=b'], {})
  assert.deepEqual(config.scenario, ['a', 'b'])
  assert.equal(config.rate, 2)
})

test('--version prints the package version, for run and replay', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  for (const args of [['--version'], ['run', '--version'], ['replay', '--version']]) {
    const out = await cli(args)
    assert.equal(out.code, 0, out.stderr)
    assert.equal(out.stdout, `sensor-simulator ${version}\n`)
  }
  assert.match((await cli(['--help'])).stdout, /--version +Show the version and exit/)
})

test('a mistyped option names the nearest known one', async () => {
  const out = await cli(['--brokr-url', 'mqtt://127.0.0.1:1'])
  assert.equal(out.code, 2)
  assert.equal(out.stderr, 'sensor-simulator: unknown option --brokr-url; did you mean --broker-url?\n')
})

test('an unreachable broker is an error with its cause and the next attempt; SIGTERM while waiting for it: the shutdown line and exit 0', async () => {
  const nobody = await freePort()
  const child = spawn(process.execPath, [BIN, '--broker-url', `mqtt://127.0.0.1:${nobody}`, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  cleanups.push(async () => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  await eventually(() => stdout.includes('cannot reach the MQTT broker'), 10_000, 'a failed connection attempt')
  assert.doesNotMatch(stdout, /simulator started/)
  // The cause and the wait, at error level.
  assert.match(stdout, /"level":50,.*"cause":"connect ECONNREFUSED [^"]+","retryInMs":500,.*next attempt in 0\.5 s/)
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  assert.equal(await exited, 0, stdout)
  assert.match(stdout, /"signal":"SIGTERM".*"msg":"shutting down"/)
})

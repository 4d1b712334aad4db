import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import { access, cp, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import { connectAsync } from 'mqtt'
import { generateLabelledTelemetry, FAILURE_MODES } from '@factory-edge/sensor-simulator'
import { startAedes } from '@factory-edge/test-support/aedes'
import { freePort, portOpen } from '@factory-edge/test-support/ports'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'

// The README's commands, run as shown (in a fresh directory, the way a new user runs them from a clone),
// so that a command in the README that stops working fails here. Two kinds of marked blocks:
// - `readme-commands:start`: commands that end by themselves; each must exit 0 (and write its --out).
// - `readme-commands:start live`: commands against a running broker. A service line (factory-broker or
//   edge-detector without a subcommand, with or without `&`) must become ready (its port accepts
//   connections, the detector's /healthz answers 200) and still run at the end of the block, then stop
//   cleanly on SIGTERM; a live sensor-simulator line must publish readings, and is stopped with SIGINT
//   once it has (a replay at --speed 60 of 12 h would take 12 min), exit 0; any other line must exit 0.
//   A block without its own factory-broker line runs against a broker the test starts.
// Ports are the test's own free ones, given through the commands' environment variables. `--download`
// fetches from a local server the test starts (AI4I_URL, AI4I_SHA256), never the internet, and the
// README's `replay --csv export.csv` gets a small historian export written by the test.

const root = resolve(import.meta.dirname, '../../..')
const BINS: Record<string, string> = {
  'factory-broker': join(root, 'broker/bin/factory-broker.js'),
  'edge-detector': join(root, 'edge-detector/bin/edge-detector.js'),
  'sensor-simulator': join(root, 'sensor-simulator/bin/sensor-simulator.js')
}

interface Block { live: boolean, commands: string[][] }

/** The marked blocks in README order: their `npx` lines without comments and a trailing `&`, split into words. */
async function readmeBlocks (): Promise<Block[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const blocks = [...readme.matchAll(/<!-- readme-commands:start( live)?[^>]*-->([\s\S]*?)<!-- readme-commands:end -->/g)]
  assert.ok(blocks.length > 0, 'README has readme-commands blocks')
  return blocks.map((b) => ({
    live: b[1] !== undefined,
    commands: b[2].split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l.startsWith('npx ')).map((l) => l.replace(/\s*&$/, '').split(/\s+/).slice(1))
  }))
}

interface Run { child: ChildProcess, output: () => string, exited: Promise<number | null> }

/** Starts a README command as its own process; stdin gets one line (a password for `passwd add`). */
function start (words: string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const [command, ...args] = words
  const bin = BINS[command]
  assert.ok(bin !== undefined, `npx ${command}: not a command of this repository`)
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
  child.stdin?.end('readme-password\n')
  let output = ''
  child.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

/** Exits 0 within `ms`; else the test fails with the command and its output. */
async function exitsZero (words: string[], run: Run, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([run.exited, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms) })])
  clearTimeout(timer)
  if (code === 'timeout') run.child.kill('SIGKILL')
  assert.equal(code, 0, `npx ${words.join(' ')}: ${code === 'timeout' ? `still running after ${ms} ms` : `exit ${String(code)}`}\n${run.output()}`)
}

/** A small labelled file in the UCI AI4I 2020 layout: what the local server hands out as the data set. */
function ai4iCsv (): string {
  const header = 'UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF'
  const rows = [header]
  let udi = 0
  for (const { telemetry: t, failure } of generateLabelledTelemetry({ machines: 1, readingsPerMachine: 3000, seed: 4, failures: true, failureRate: 60 })) {
    udi++
    const flags = FAILURE_MODES.map((m) => (m === failure ? 1 : 0))
    rows.push([udi, `L${udi}`, t.productType ?? 'L', (t.airTemperature + 273.15).toFixed(1), (t.temperature + 273.15).toFixed(1), Math.round(t.rpm), t.torque.toFixed(1), t.toolWear, failure === undefined ? 0 : 1, ...flags].join(','))
  }
  return rows.join('\n') + '\n'
}

/** A historian export as the README's `replay --csv export.csv --timestamp-column Time --columns FT-101=…` reads it. */
function historianExport (): string {
  const rows = ['Time,FT-101,PT-102,TT-103']
  for (let i = 0; i < 30; i++) rows.push(`2026-01-05 08:${String(i).padStart(2, '0')}:00,${(120 + i % 3).toFixed(1)},${(6.1 + (i % 2) / 10).toFixed(2)},41.5`)
  return rows.join('\n') + '\n'
}

/** Runs a `readme-commands:start live` block (see the top of this file). */
async function runLiveBlock (commands: string[][], cwd: string, baseEnv: NodeJS.ProcessEnv): Promise<void> {
  const ownBroker = commands.some(([command, first]) => command === 'factory-broker' && (first === undefined || first.startsWith('-')))
  const ports = { mqtt: await freePort(), ws: await freePort(), brokerHttp: await freePort(), detectorHttp: await freePort() }
  const testBroker = ownBroker ? undefined : await startAedes(ports.mqtt)
  const env = { ...baseEnv, BROKER_PORT: String(ports.mqtt), BROKER_WS_PORT: String(ports.ws), BROKER_HTTP_PORT: String(ports.brokerHttp), MQTT_URL: `mqtt://127.0.0.1:${ports.mqtt}`, HTTP_PORT: String(ports.detectorHttp) }
  const services: Array<{ words: string[], run: Run }> = []
  let readings = 0
  let subscriber: Awaited<ReturnType<typeof connectAsync>> | undefined
  try {
    for (const words of commands) {
      const [command, first] = words
      const run = start(words, cwd, env)
      if ((command === 'factory-broker' || command === 'edge-detector') && (first === undefined || first.startsWith('-'))) {
        services.push({ words, run })
        const ready = command === 'factory-broker'
          ? async () => await portOpen(ports.mqtt)
          : async () => await fetch(`http://127.0.0.1:${ports.detectorHttp}/healthz`).then((r) => r.ok, () => false)
        await eventually(async () => run.child.exitCode === null && await ready(), 20_000, `npx ${words.join(' ')} ready:\n${run.output()}`)
        assert.equal(run.child.exitCode, null, `npx ${words.join(' ')} exited:\n${run.output()}`)
      } else if (command === 'sensor-simulator' && first !== 'generate') {
        if (subscriber === undefined) {
          subscriber = await connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 0 })
          await subscriber.subscribeAsync('factory/+/telemetry')
          subscriber.on('message', () => { readings++ })
        }
        const before = readings
        await eventually(() => readings > before || run.child.exitCode !== null, 20_000, `readings from npx ${words.join(' ')}:\n${run.output()}`)
        assert.ok(readings > before, `npx ${words.join(' ')} published no reading:\n${run.output()}`)
        run.child.kill('SIGINT')
        await exitsZero(words, run, 10_000)
      } else {
        await exitsZero(words, run, 60_000)
      }
    }
    for (const { words, run } of services.reverse()) {
      assert.equal(run.child.exitCode, null, `npx ${words.join(' ')} stopped before the end of its block:\n${run.output()}`)
      run.child.kill('SIGTERM')
      await exitsZero(words, run, 10_000)
    }
  } finally {
    for (const { run } of services) run.child.kill('SIGKILL')
    await subscriber?.endAsync()
    await testBroker?.close()
  }
}

test('the README\'s commands run as shown on a fresh directory: training, scoring, own machines, broker, simulator', { timeout: 240_000 }, async (t) => {
  const blocks = await readmeBlocks()
  const once = blocks.filter((b) => !b.live).flatMap((b) => b.commands)
  const live = blocks.filter((b) => b.live)
  assert.ok(once.length >= 4 && live.length >= 3, `${once.length} commands and ${live.length} live blocks found`)
  const csv = ai4iCsv()
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/csv' }).end(csv) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ai4i2020.csv`
  const dir = await tempDir('factory-edge-readme-')
  t.after(() => dir.cleanup())
  // A fresh clone has the shipped configuration the commands name.
  await cp(join(root, 'config'), join(dir.dir, 'config'), { recursive: true })
  await writeFile(join(dir.dir, 'export.csv'), historianExport())
  const env = { ...process.env, AI4I_URL: url, AI4I_SHA256: createHash('sha256').update(csv).digest('hex'), LOG_LEVEL: 'warn' }
  // The commands that end by themselves first: they make the data and the model the live ones use.
  for (const words of once) {
    await exitsZero(words, start(words, dir.dir, env), 60_000)
    const out = words.indexOf('--out')
    if (out >= 0) await access(join(dir.dir, words[out + 1]))
  }
  await access(join(dir.dir, 'data/ai4i2020.csv'))
  await access(join(dir.dir, 'results/model.json'))
  for (const block of live) await runLiveBlock(block.commands, dir.dir, env)
})

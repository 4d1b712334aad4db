import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createServer } from 'node:http'
import { access, cp, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import { generateLabelledTelemetry, FAILURE_MODES } from '@factory-edge/sensor-simulator'
import { tempDir } from '@factory-edge/test-support/temp-dir'

// The README's training, evaluation and scoring commands, run as shown (in a fresh directory, the way a
// new user runs them from a clone), so that a command in the README that stops working fails here.
// `--download` fetches from a local server the test starts (AI4I_URL, AI4I_SHA256), never the internet.

const root = resolve(import.meta.dirname, '../../..')
const BINS: Record<string, string> = {
  'edge-detector': join(root, 'edge-detector/bin/edge-detector.js'),
  'sensor-simulator': join(root, 'sensor-simulator/bin/sensor-simulator.js')
}

const run = promisify(execFile)

/** The `npx` lines between the readme-commands markers (every such block, in order), without their comments. */
async function readmeCommands (): Promise<string[][]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const blocks = [...readme.matchAll(/<!-- readme-commands:start[^>]*-->([\s\S]*?)<!-- readme-commands:end -->/g)]
  assert.ok(blocks.length > 0, 'README has readme-commands blocks')
  return blocks.map((b) => b[1]).join('\n').split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l.startsWith('npx ')).map((l) => l.split(/\s+/).slice(1))
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

test('the README\'s training, evaluation, scoring and own-machine commands run as shown on a fresh directory', { timeout: 120_000 }, async (t) => {
  const commands = await readmeCommands()
  assert.ok(commands.length >= 4, `${commands.length} commands found`)
  const csv = ai4iCsv()
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/csv' }).end(csv) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ai4i2020.csv`
  const dir = await tempDir('factory-edge-readme-')
  t.after(() => dir.cleanup())
  // A fresh clone has the shipped configuration the commands name.
  await cp(join(root, 'config'), join(dir.dir, 'config'), { recursive: true })
  const env = { ...process.env, AI4I_URL: url, AI4I_SHA256: createHash('sha256').update(csv).digest('hex'), LOG_LEVEL: 'warn' }
  for (const [command, ...args] of commands) {
    const bin = BINS[command]
    assert.ok(bin !== undefined, `npx ${command}: not a command of this repository`)
    // Asynchronously: the download server lives in this process.
    await run(process.execPath, [bin, ...args], { cwd: dir.dir, env, timeout: 60_000 }).catch((err: Error & { stderr?: string }) => {
      assert.fail(`npx ${command} ${args.join(' ')} failed: ${err.message} ${err.stderr ?? ''}`)
    })
    const out = args[args.indexOf('--out') + 1]
    if (args.includes('--out')) await access(join(dir.dir, out))
  }
  await access(join(dir.dir, 'data/ai4i2020.csv'))
  await access(join(dir.dir, 'results/model.json'))
})

import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { decodeTelemetry } from '@factory-edge/shared/contract'
import { startAedes } from '@factory-edge/test-support/aedes'
import { eventually } from '@factory-edge/test-support/wait'
import { record } from './helpers/recorder.js'

const BUILD = fileURLToPath(new URL('../../scripts/build-pi.mjs', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'pi-bundle-'))
const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })]
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
})

test('the Raspberry Pi bundle runs with plain node from an empty directory against a local broker', async () => {
  const bundle = join(dir, 'sensor-simulator.cjs')
  await promisify(execFile)(process.execPath, [BUILD, '--outfile', bundle], { timeout: 60_000 })
  assert.deepEqual(readdirSync(dir), ['sensor-simulator.cjs'])

  // Nothing is loaded from node_modules: the only requires left are Node built-ins and optional modules
  // their users load in a try/catch (ws's native add-ons, debug's supports-color).
  const source = readFileSync(bundle, 'utf8')
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)])
  const required = [...source.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((m) => !builtins.has(m))
  assert.deepEqual([...new Set(required)].sort(), ['bufferutil', 'supports-color', 'utf-8-validate'])

  // No package.json beside it: the build wrote the version in.
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  assert.equal((await promisify(execFile)(process.execPath, [bundle, '--version'], { cwd: dir })).stdout, `sensor-simulator ${version}\n`)

  const broker = await startAedes()
  cleanups.push(broker.close)
  const rec = await record(broker.url, 'factory/#')
  cleanups.push(rec.close)
  const child = spawn(process.execPath, ['--lite-mode', '--no-expose-wasm', '--max-semi-space-size=1', bundle,
    '--machines', '2', '--rate', '10', '--duration', '2', '--scenario', 'overheat:machine-1@0.5s', '--log-format', 'json'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', MQTT_URL: broker.url },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  cleanups.push(async () => { child.kill('SIGKILL') })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  assert.equal(code, 0, stderr)
  assert.equal(stderr, '')
  await eventually(() => rec.of('telemetry').length >= 20 && rec.of('truth').length >= 1, 10_000, 'readings from the bundle')
  assert.ok(rec.of('telemetry').every((m) => decodeTelemetry(m.payload).ok))
  assert.ok(rec.of('status').some((m) => JSON.parse(m.payload.toString()).status === 'offline'))
})

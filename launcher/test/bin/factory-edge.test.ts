// `npm start` as a user runs it: the factory-edge command in its own process.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { saveModel } from '@factory-edge/shared/ml'
import { trainSynthetic } from '@factory-edge/edge-detector/training'
import { eventually } from '@factory-edge/test-support/wait'
import { assertOneLineExit } from '@factory-edge/test-support/child-process'
import { simulatedReadings } from '../../src/simulated-readings.js'

const bin = fileURLToPath(new URL('../../src/bin/factory-edge.js', import.meta.url))

function run (args: string[]): { child: ChildProcess, output: () => string, errors: () => string, exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return { child, output: () => out, errors: () => err, exited }
}

test('shows a 🚨 line with machine, score and drivers, then stops within 2 s of Ctrl-C', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'factory-edge-start-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const modelPath = join(dir, 'model.json')
  await saveModel(modelPath, (await trainSynthetic(6000, simulatedReadings, { seed: 3 })).model)

  const proc = run(['--port', '0', '--http-port', '0', '--model', modelPath, '--machines', '3', '--rate', '10', '--failure-every', '4', '--log-format', 'json'])
  t.after(() => { proc.child.kill('SIGKILL') })
  await eventually(() => proc.output().includes('🚨'), 30_000, `an alert line; output so far:\n${proc.output()}\n${proc.errors()}`)
  const line = proc.output().split('\n').find((l) => l.includes('🚨')) as string
  assert.match(line, /machine-\d+ ANOMALY (warning|critical) score \d\.\d{3} > its normal \d\.\d{3} \+ \d\.\d{3} — driven by \w+=/)
  assert.match(proc.output(), /readings\/s/)
  const webUrl = /^Live web view: (http:\/\/127\.0\.0\.1:\d+\/ui\/)$/m.exec(proc.output())?.[1]
  assert.ok(webUrl !== undefined, `the web view's address is printed:\n${proc.output()}`)
  assert.match(await (await fetch(webUrl)).text(), /<title>factory-edge/)

  const stoppedAt = Date.now()
  proc.child.kill('SIGINT')
  const { code } = await proc.exited
  const took = Date.now() - stoppedAt
  assert.equal(code, 0, proc.errors())
  assert.ok(took <= 2000, `stopped in ${took} ms; allowed 2000 ms`)
})

/** A port taken by another program on 127.0.0.1, and a small model for the launcher, both gone after the test. */
async function takenPortAndModel (t: TestContext): Promise<{ port: number, modelPath: string }> {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => blocker.close())
  const dir = await mkdtemp(join(tmpdir(), 'factory-edge-start-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  const modelPath = join(dir, 'model.json')
  await saveModel(modelPath, (await trainSynthetic(2000, simulatedReadings, { seed: 3 })).model)
  return { port: (blocker.address() as AddressInfo).port, modelPath }
}

test('a taken port: one line naming the flag and the variable npm start reads (FACTORY_EDGE_PORT), exit 2', async (t) => {
  const { port, modelPath } = await takenPortAndModel(t)
  const proc = run(['--port', String(port), '--http-port', '0', '--model', modelPath])
  const { code } = await proc.exited
  assertOneLineExit({ status: code, stderr: proc.errors() }, 2, new RegExp(`^factory-edge: MQTT listener: port ${port} on 127.0.0.1 is already in use .*; choose another with --port \\(env FACTORY_EDGE_PORT\\)$`))
  assert.doesNotMatch(proc.errors(), /BROKER_PORT/)
})

// npm start opens no WebSocket listener (the embedded broker runs with wsPort null), so the MQTT port and
// the detector's HTTP port are all it can find taken.
test('a taken --http-port: one line naming the flag and the variable npm start reads (FACTORY_EDGE_HTTP_PORT), exit 2', async (t) => {
  const { port, modelPath } = await takenPortAndModel(t)
  const proc = run(['--port', '0', '--http-port', String(port), '--model', modelPath])
  const { code } = await proc.exited
  assertOneLineExit({ status: code, stderr: proc.errors() }, 2, new RegExp(`^factory-edge: HTTP endpoint .*: port ${port} on 127.0.0.1 is already in use .*; choose another with --http-port \\(env FACTORY_EDGE_HTTP_PORT\\)$`))
  assert.doesNotMatch(proc.errors(), /env HTTP_PORT/)
})

test('--help lists the options and a wrong value is refused in one line', async () => {
  const help = run(['--help'])
  assert.equal((await help.exited).code, 0)
  for (const flag of ['--port', '--machines', '--rate', '--failure-every', '--model']) assert.ok(help.output().includes(flag), flag)
  const bad = run(['--machines', 'many'])
  assert.equal((await bad.exited).code, 2)
  assert.equal(bad.errors().trim().split('\n').length, 1)
  assert.match(bad.errors(), /--machines/)
})

test('--version prints the package version; a mistyped option names the nearest one', async () => {
  const { version } = JSON.parse(await readFile(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string }
  const shown = run(['--version'])
  assert.equal((await shown.exited).code, 0)
  assert.equal(shown.output(), `factory-edge ${version}\n`)
  const typo = run(['--machins', '3'])
  assert.equal((await typo.exited).code, 2)
  assert.equal(typo.errors(), 'factory-edge: unknown option --machins; did you mean --machines?\n')
})

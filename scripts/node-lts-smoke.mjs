#!/usr/bin/env node
// Smoke test on another Node.js line (default 22, the LTS): installs that Node from the npm registry's
// `node` package into a cache directory, runs `npm start`'s program with it (broker, simulated machines,
// detector) until the first alert, then stops it with Ctrl-C and expects a clean exit.
// Usage: npm run build && node scripts/node-lts-smoke.mjs [22|24]
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const line = process.argv[2] ?? '22'
const root = resolve(import.meta.dirname, '..')
const prefix = join(tmpdir(), `factory-edge-node-${line}`)
const node = join(prefix, 'node_modules', '.bin', 'node')
if (!existsSync(node)) execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, `node@${line}`], { stdio: 'inherit', timeout: 600_000 })
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
const work = mkdtempSync(join(tmpdir(), 'factory-edge-smoke-'))
const started = Date.now()
const child = spawn(node, [join(root, 'launcher/dist/src/bin/factory-edge.js'), '--port', '0', '--http-port', '0', '--view', 'quiet', '--model', join(work, 'model.json')], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] })
let output = ''
let alertMs
const timer = setTimeout(() => finish(`no alert within 90 s on Node ${version}`), 90_000)
child.stdout.on('data', (d) => {
  output += String(d)
  if (alertMs === undefined && output.includes('🚨')) {
    alertMs = Date.now() - started
    child.kill('SIGINT')
  }
})
child.stderr.on('data', (d) => { output += String(d) })
child.on('exit', (code, signal) => {
  if (alertMs === undefined) finish(`exited (${code ?? signal}) before an alert on Node ${version}`)
  else if (code !== 0) finish(`Ctrl-C ended with ${code ?? signal} on Node ${version}`)
  else finish()
})

function finish (problem) {
  clearTimeout(timer)
  child.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
  if (problem !== undefined) {
    process.stderr.write(`node-lts smoke: ${problem}\n${output}\n`)
    process.exit(1)
  }
  process.stdout.write(JSON.stringify({ name: `smoke.node_${line}_first_alert_ms`, value: alertMs, unit: 'ms', node: version }) + '\n')
  process.exit(0)
}

#!/usr/bin/env node
// Runs every compiled test file (<workspace>/dist/test/**/*.test.js) with Node's built-in test runner.
// Node 20's `--test` takes no glob patterns, so the files are listed here. Extra arguments are passed on,
// e.g. `npm test -- --test-name-pattern=forest`.
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'

const workspaces = ['shared', 'broker', 'sensor-simulator', 'edge-detector', 'launcher']
const files = []
function walk (dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path)
    else if (entry.name.endsWith('.test.js')) files.push(path)
  }
}
for (const ws of workspaces) {
  const dir = join(ws, 'dist', 'test')
  if (existsSync(dir)) walk(dir)
}
const filter = process.env.TEST_FILES
const selected = filter ? files.filter((f) => f.includes(filter)) : files
if (selected.length === 0) {
  process.stderr.write('no test files found: run `npm run build` first\n')
  process.exit(1)
}
// Two test files at a time (TEST_CONCURRENCY to change): most of a file's time is spent waiting on real
// servers and timers, so two overlap well on a 2-core machine (the whole suite in about 3.5 minutes
// instead of about 6; README, Tests).
const concurrency = process.env.TEST_CONCURRENCY ?? '2'
// Bounds, so that a test that waits forever fails with its name instead of holding the run (and CI) until
// an outer timeout: each test gets TEST_TIMEOUT_MS (the slowest declare their own, lower, timeouts), a file
// whose tests are done exits even if something of it is still open (--test-force-exit), and a run that
// goes past TEST_RUN_TIMEOUT_S prints the test files still running, stops them and fails.
const testTimeoutMs = positive('TEST_TIMEOUT_MS', 240_000)
const runTimeoutS = positive('TEST_RUN_TIMEOUT_S', 900)
const args = ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${testTimeoutMs}`, '--test-force-exit', '--test-reporter=spec', ...process.argv.slice(2), ...selected.sort()]
const child = spawn(process.execPath, args, { stdio: 'inherit', detached: true })
const watchdog = setTimeout(() => {
  const running = descendants(child.pid).map((pid) => commandLine(pid)).filter((cmd) => cmd.includes('.test.js'))
  process.stderr.write(`\nnpm test: still running after ${runTimeoutS} s (TEST_RUN_TIMEOUT_S), stopped:\n${running.map((cmd) => `  ${cmd.split(' ').find((a) => a.endsWith('.test.js')) ?? cmd}`).join('\n') || '  (no test file process found)'}\n`)
  try { process.kill(-child.pid, 'SIGKILL') } catch {}
  process.exit(1)
}, runTimeoutS * 1000)
watchdog.unref()
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { try { process.kill(-child.pid, signal) } catch {} })

function positive (name, fallback) {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`${name} must be a positive number, got ${process.env[name]}\n`)
    process.exit(2)
  }
  return value
}

// The process tree under `pid`, from /proc (Linux, where the tests run).
function descendants (pid) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {}
  }
  const out = []
  const visit = (p) => { for (const c of children.get(p) ?? []) { out.push(c); visit(c) } }
  visit(pid)
  return out
}

function commandLine (pid) {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() } catch { return '' }
}

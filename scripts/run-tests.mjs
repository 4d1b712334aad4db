#!/usr/bin/env node
// Runs every compiled test file (<workspace>/dist/test/**/*.test.js) with Node's built-in test runner.
// Node 20's `--test` takes no glob patterns, so the files are listed here. Extra arguments are passed on,
// e.g. `npm test -- --test-name-pattern=forest`.
import { readdirSync, existsSync } from 'node:fs'
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
const args = ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...process.argv.slice(2), ...selected.sort()]
const child = spawn(process.execPath, args, { stdio: 'inherit' })
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The generator is a root script that imports every workspace's built spec; spawning it keeps shared
// free of a dependency on the services.
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const SCRIPT = join(ROOT, 'scripts', 'gen-config-docs.mjs')
const DOC = join(ROOT, 'docs', 'configuration.md')

function check (out?: string): { status: number | null, stderr: string } {
  const args = [SCRIPT, '--check', ...(out !== undefined ? ['--out', out] : [])]
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' })
  return { status: result.status, stderr: result.stderr }
}

test('docs/configuration.md is up to date with the config specs (npm run docs:config)', () => {
  const result = check()
  assert.equal(result.stderr, '')
  assert.equal(result.status, 0)
})

test('--check fails with a message naming the file when the doc is stale', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'config-docs-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const stale = join(dir, 'configuration.md')
  writeFileSync(stale, readFileSync(DOC, 'utf8').replace('| `1883` |', '| `1884` |'))
  const result = check(stale)
  assert.equal(result.status, 1)
  assert.match(result.stderr, /configuration\.md is out of date .*npm run docs:config/)
})

test('the doc has a table per command with each setting\'s flag, variable and default', () => {
  const doc = readFileSync(DOC, 'utf8')
  for (const title of ['factory-broker', 'sensor-simulator [run]', 'sensor-simulator replay', 'edge-detector']) {
    assert.ok(doc.includes(`\n## ${title}\n`), `a section for ${title}`)
  }
  assert.match(doc, /\| `--max-packet-size` \| `BROKER_MAX_PACKET_SIZE` \| `\d+` \| integer, 0 to \d+ \|/)
  assert.match(doc, /\| `--queue-limit` \| `SIM_QUEUE_LIMIT` \| `\d+` \|/)
  assert.match(doc, /\| `--influx-batch-size` \| `INFLUX_BATCH_SIZE` \| `\d+` \|/)
  assert.match(doc, /\| `--\[no-\]watch-model` \| `WATCH_MODEL` \| `true` \| true or false \|/)
})

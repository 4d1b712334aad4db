// Every command a workspace declares is linked by npm and answers --help.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const run = promisify(execFile)

for (const ws of ['broker', 'sensor-simulator', 'edge-detector']) {
  const pkg = JSON.parse(readFileSync(`${root}${ws}/package.json`, 'utf8')) as { bin: Record<string, string> }
  for (const [name, path] of Object.entries(pkg.bin)) {
    test(`${name} is installed in node_modules/.bin and prints --help`, async () => {
      assert.ok(existsSync(`${root}${ws}/${path}`), `${ws}/${path} is committed`)
      assert.ok(existsSync(`${root}node_modules/.bin/${name}`), `npm linked ${name}`)
      const { stdout } = await run(`${root}node_modules/.bin/${name}`, ['--help'])
      assert.match(stdout, new RegExp(`^Usage: ${name}`))
      assert.match(stdout, /--help/)
    })
  }
}

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

// One statement of the Node versions the project runs on: the root's `engines`, repeated by every
// workspace (and so by package-lock.json), so that no package claims a version the whole does not support.

const root = resolve(import.meta.dirname, '../../..')

test('every workspace and the lock file state the root package\'s engines.node', async () => {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { engines: { node: string }, workspaces: string[] }
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> }
  assert.ok(pkg.workspaces.length >= 6)
  for (const workspace of pkg.workspaces) {
    const own = JSON.parse(await readFile(join(root, workspace, 'package.json'), 'utf8')) as { engines?: { node?: string } }
    assert.equal(own.engines?.node, pkg.engines.node, `${workspace}/package.json`)
    assert.equal(lock.packages[workspace]?.engines?.node, pkg.engines.node, `package-lock.json, ${workspace}`)
  }
})

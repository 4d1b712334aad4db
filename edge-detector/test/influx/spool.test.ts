import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { DiskSpool } from '../../src/influx/spool.js'
import { tempDir } from '@factory-edge/test-support/temp-dir'

test('spool: batches come back oldest first, survive a reopen, and a full spool drops the oldest', async (t) => {
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const spool = await DiskSpool.open(dir, 10)
  await spool.append(['a1', 'a2', 'a3', 'a4'])
  await spool.append(['b1', 'b2', 'b3', 'b4'])
  assert.equal(spool.size, 8)
  assert.deepEqual((await spool.peek())?.lines, ['a1', 'a2', 'a3', 'a4'])

  const reopened = await DiskSpool.open(dir, 10)
  assert.equal(reopened.size, 8, 'a restart finds the spooled points')
  await reopened.append(['c1', 'c2', 'c3', 'c4'])
  assert.equal(reopened.size, 8, 'over the bound of 10: the oldest batch went')
  assert.equal(reopened.dropped, 4)
  const first = await reopened.peek()
  assert.deepEqual(first?.lines, ['b1', 'b2', 'b3', 'b4'])
  await reopened.remove(first?.seq ?? -1)
  assert.deepEqual((await reopened.peek())?.lines, ['c1', 'c2', 'c3', 'c4'])
  assert.equal(reopened.size, 4)
  assert.equal((await readdir(dir)).length, 1, 'one file per batch, removed once replayed')
})

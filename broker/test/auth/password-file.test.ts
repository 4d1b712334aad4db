import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hashPassword, loadPasswordFile, parseHash, parsePasswordFile, PasswordFileError, setPassword, verifyPassword } from '../../src/index.js'
import { tempDir } from '@factory-edge/test-support/temp-dir'

test('scrypt hashes verify the right password only, with a fresh salt each time', async () => {
  const a = await hashPassword('s3cret')
  const b = await hashPassword('s3cret')
  assert.match(a, /^\$scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
  assert.notEqual(a, b)
  assert.equal(await verifyPassword(parseHash(a), Buffer.from('s3cret')), true)
  assert.equal(await verifyPassword(parseHash(a), Buffer.from('s3cret ')), false)
  assert.equal(await verifyPassword(parseHash(a), Buffer.from('')), false)
})

test('reads hashes written by mosquitto_passwd ($7$, PBKDF2-SHA512)', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const file = join(dir.dir, 'passwords')
  execFileSync('mosquitto_passwd', ['-c', '-b', file, 'alice', 'wonderland'])
  const users = await loadPasswordFile(file)
  const alice = users.get('alice')
  assert.equal(alice?.kind, 'pbkdf2-sha512')
  assert.equal(await verifyPassword(alice, Buffer.from('wonderland')), true)
  assert.equal(await verifyPassword(alice, Buffer.from('wonderlanD')), false)
})

test('setPassword adds and replaces users, keeps other lines, writes mode 0600', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const file = join(dir.dir, 'passwords')
  await writeFile(file, '# operators\nbob:$6$c2FsdA==$aGFzaA==\n')
  await setPassword(file, 'alice', 'one')
  await setPassword(file, 'alice', 'two')
  const text = await readFile(file, 'utf8')
  assert.match(text, /^# operators\nbob:\$6\$/)
  assert.equal(text.match(/^alice:/gm)?.length, 1)
  const users = parsePasswordFile(text)
  assert.equal(await verifyPassword(users.get('alice')!, Buffer.from('two')), true)
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  await assert.rejects(setPassword(file, 'a:b', 'x'), PasswordFileError)
  await assert.rejects(setPassword(file, 'carol', ''), /must not be empty/)
})

test('bad lines are refused with file and line number', async (t) => {
  assert.throws(() => parsePasswordFile('ok:$6$c2FsdA==$aGFzaA==\nbroken\n', 'pw'), /pw:2: expected "user:hash"/)
  assert.throws(() => parsePasswordFile('alice:plaintext\n', 'pw'), /pw:1: user "alice": unknown password hash format/)
  await assert.rejects(loadPasswordFile('/nonexistent/passwords'), /cannot read password file \/nonexistent\/passwords/)
})

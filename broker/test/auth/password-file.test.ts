import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { argon2id } from 'hash-wasm'
import { hashPassword, loadPasswordFile, parseHash, parsePasswordFile, PasswordFileError, setPassword, startBroker, verifyPassword } from '../../src/index.js'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { connect, endClient, quietLogger } from '../helpers.js'

/**
 * An argon2id line as Mosquitto 2.1's mosquitto_passwd writes it: libargon2's encoded string with
 * t=1, m=47104 KiB, p=1 and a 64-byte salt and hash (MOSQ_ARGON2_* in Mosquitto's password code).
 */
async function mosquittoArgon2id (password: string, parameters = { iterations: 1, memorySize: 47104, parallelism: 1 }): Promise<string> {
  return await argon2id({ password, salt: randomBytes(64), hashLength: 64, ...parameters, outputType: 'encoded' })
}

test('written hashes are Mosquitto 2.0\'s $7$ PBKDF2-SHA512 lines that verify the right password only, with a fresh salt each time', async () => {
  const a = await hashPassword('s3cret')
  const b = await hashPassword('s3cret')
  assert.match(a, /^\$7\$20000\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/)
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

test('argon2id hashes as Mosquitto writes them verify the right password only', async () => {
  const line = await mosquittoArgon2id('wonderland')
  assert.match(line, /^\$argon2id\$v=19\$m=47104,t=1,p=1\$[A-Za-z0-9+/]{86}\$[A-Za-z0-9+/]{86}$/)
  const stored = parseHash(line)
  assert.equal(stored.kind, 'argon2id')
  assert.equal(await verifyPassword(stored, Buffer.from('wonderland')), true)
  assert.equal(await verifyPassword(stored, Buffer.from('wonderlanD')), false)
  assert.equal(await verifyPassword(stored, Buffer.from('')), false)
  // Other parameters are read from the line, not assumed.
  const other = parseHash(await mosquittoArgon2id('pässwort', { iterations: 3, memorySize: 4096, parallelism: 2 }))
  assert.equal(await verifyPassword(other, Buffer.from('pässwort')), true)
  assert.equal(await verifyPassword(other, Buffer.from('passwort')), false)
})

test('malformed or out-of-range argon2id lines are refused with the line number', () => {
  const salt = Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '')
  const hash = Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '')
  assert.throws(() => parsePasswordFile(`a:$argon2id$v=16$m=4096,t=1,p=1$${salt}$${hash}\n`, 'pw'), /pw:1: user "a": malformed argon2id hash/)
  assert.throws(() => parsePasswordFile(`a:$argon2id$v=19$m=4096,t=1,p=1$${salt}\n`, 'pw'), /pw:1: user "a": malformed argon2id hash/)
  assert.throws(() => parsePasswordFile(`a:$argon2id$v=19$m=4,t=1,p=1$${salt}$${hash}\n`, 'pw'), /pw:1: user "a": argon2id parameters out of range: m=4 KiB/)
  assert.throws(() => parsePasswordFile(`a:$argon2id$v=19$m=4096,t=0,p=1$${salt}$${hash}\n`, 'pw'), /out of range: .*t=0/)
  assert.throws(() => parsePasswordFile(`a:$argon2id$v=19$m=4096,t=1,p=1$AAAA$${hash}\n`, 'pw'), /out of range: .*salt 3 bytes/)
})

test('factory-broker admits a user whose password file line is argon2id, and refuses a wrong password', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const passwordFile = join(dir.dir, 'passwords')
  await writeFile(passwordFile, `# written by mosquitto_passwd\nalice:${await mosquittoArgon2id('wonderland')}\n`)
  const broker = await startBroker({ port: 0, passwordFile, logger: quietLogger() })
  t.after(() => broker.close())
  await endClient(await connect(broker.url, { username: 'alice', password: 'wonderland' }))
  await assert.rejects(connect(broker.url, { username: 'alice', password: 'wonderlanD' }), /Not authorized|Bad username or password/)
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

test('scrypt lines written by earlier versions still verify', async () => {
  const { scryptSync, randomBytes } = await import('node:crypto')
  const salt = randomBytes(16)
  const line = `$scrypt$16384$8$1$${salt.toString('base64')}$${scryptSync('s3cret', salt, 64, { N: 16384, r: 8, p: 1 }).toString('base64')}`
  assert.equal(await verifyPassword(parseHash(line), Buffer.from('s3cret')), true)
  assert.equal(await verifyPassword(parseHash(line), Buffer.from('s3cret!')), false)
})

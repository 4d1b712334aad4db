import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { readFile, writeFile, rename } from 'node:fs/promises'
import { argon2id } from 'hash-wasm'
import { PasswordFileError } from '../errors.js'

/**
 * Password files: one `user:hash` per line, `#` comments, like Mosquitto's.
 *
 * We write Mosquitto 2.0's PBKDF2-SHA512 lines (`$7$iterations$salt$hash`, base64), with more iterations
 * than `mosquitto_passwd`'s default (the count is in the line, and Mosquitto 2.0 and 2.1 read any), so
 * one file, made by either tool, serves both brokers. We verify every format Mosquitto writes
 * (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`, libargon2's encoded string and the default of
 * Mosquitto 2.1; `$7$`, the default of 2.0; `$6$salt$hash` = SHA-512) and the scrypt lines
 * (`$scrypt$N$r$p$salt$hash`) earlier versions of `factory-broker passwd add` wrote, which Mosquitto
 * cannot read. Argon2id is computed in WebAssembly (hash-wasm): no native build on a Pi.
 */

const KEY_LENGTH = 64
/**
 * PBKDF2 rounds of the lines we write: `mosquitto_passwd` 2.0 uses 101; this costs about as much as one
 * scrypt check did (a few ms on a PC, tens on a Pi, on libuv's thread pool), not a wait users notice.
 */
const PBKDF2_ITERATIONS = 20_000
/** Mosquitto's salt length. */
const PBKDF2_SALT_LENGTH = 12

export type PasswordHash =
  | { kind: 'scrypt', n: number, r: number, p: number, salt: Buffer, hash: Buffer }
  | { kind: 'pbkdf2-sha512', iterations: number, salt: Buffer, hash: Buffer }
  | { kind: 'sha512', salt: Buffer, hash: Buffer }
  /** Argon2 version 0x13 (19), the one libargon2 writes; memory in KiB, as in the encoded string. */
  | { kind: 'argon2id', memoryKiB: number, iterations: number, parallelism: number, salt: Buffer, hash: Buffer }

/**
 * libargon2's encoded form: base64 without padding; the version is 19 (Argon2 1.3), which every
 * mosquitto_passwd that writes argon2id uses.
 */
const ARGON2ID = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/
/** Bounds of RFC 9106 §3.1 (salt at least 8 bytes, tag at least 4, m at least 8p KiB), and at most 4 GiB of memory. */
const ARGON2_MAX_MEMORY_KIB = 4 * 1024 * 1024

function scryptAsync (password: string | Buffer, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (err, key) => { if (err !== null) reject(err); else resolve(key) })
  })
}

function pbkdf2Async (password: Buffer, salt: Buffer, iterations: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, keylen, 'sha512', (err, key) => { if (err !== null) reject(err); else resolve(key) })
  })
}

/** Parses one hash string; throws PasswordFileError when its format is not one we know. */
export function parseHash (text: string): PasswordHash {
  const parts = text.split('$')
  // A leading '$' gives an empty first part.
  if (parts[0] === '' && parts[1] === 'scrypt' && parts.length === 7) {
    const [n, r, p] = [Number(parts[2]), Number(parts[3]), Number(parts[4])]
    if ([n, r, p].every((v) => Number.isInteger(v) && v > 0)) {
      return { kind: 'scrypt', n, r, p, salt: Buffer.from(parts[5], 'base64'), hash: Buffer.from(parts[6], 'base64') }
    }
  }
  if (parts[0] === '' && parts[1] === '7' && parts.length === 5) {
    const iterations = Number(parts[2])
    if (Number.isInteger(iterations) && iterations > 0) {
      return { kind: 'pbkdf2-sha512', iterations, salt: Buffer.from(parts[3], 'base64'), hash: Buffer.from(parts[4], 'base64') }
    }
  }
  if (parts[0] === '' && parts[1] === '6' && parts.length === 4) {
    return { kind: 'sha512', salt: Buffer.from(parts[2], 'base64'), hash: Buffer.from(parts[3], 'base64') }
  }
  if (parts[0] === '' && parts[1] === 'argon2id') return parseArgon2id(text)
  throw new PasswordFileError('unknown password hash format (expected $scrypt$..., or mosquitto_passwd\'s $argon2id$..., $7$... or $6$...)')
}

function parseArgon2id (text: string): PasswordHash {
  const match = ARGON2ID.exec(text)
  if (match === null) throw new PasswordFileError('malformed argon2id hash (expected $argon2id$v=19$m=KiB,t=passes,p=lanes$salt$hash, base64 without padding)')
  const [memoryKiB, iterations, parallelism] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const salt = Buffer.from(match[4], 'base64')
  const hash = Buffer.from(match[5], 'base64')
  if (iterations < 1 || parallelism < 1 || parallelism > 0xffffff || memoryKiB < 8 * parallelism || memoryKiB > ARGON2_MAX_MEMORY_KIB || salt.length < 8 || hash.length < 4) {
    throw new PasswordFileError(`argon2id parameters out of range: m=${memoryKiB} KiB (at least 8 per lane, at most ${ARGON2_MAX_MEMORY_KIB}), t=${iterations}, p=${parallelism}, salt ${salt.length} bytes (at least 8), hash ${hash.length} bytes (at least 4)`)
  }
  return { kind: 'argon2id', memoryKiB, iterations, parallelism, salt, hash }
}

/** Hashes a password with PBKDF2-SHA512 and a random salt, as a `$7$` line both brokers read. */
export async function hashPassword (password: string): Promise<string> {
  const salt = randomBytes(PBKDF2_SALT_LENGTH)
  const hash = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, PBKDF2_ITERATIONS, KEY_LENGTH)
  return `$7$${PBKDF2_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`
}

/** True when `password` matches `stored`, compared in constant time. */
export async function verifyPassword (stored: PasswordHash, password: Buffer): Promise<boolean> {
  let computed: Buffer
  switch (stored.kind) {
    case 'scrypt':
      computed = await scryptAsync(password, stored.salt, stored.hash.length, {
        N: stored.n, r: stored.r, p: stored.p, maxmem: 256 * stored.n * stored.r + 1024 * 1024
      })
      break
    case 'pbkdf2-sha512':
      computed = await pbkdf2Async(password, stored.salt, stored.iterations, stored.hash.length)
      break
    case 'sha512':
      computed = createHash('sha512').update(password).update(stored.salt).digest()
      break
    case 'argon2id':
      // hash-wasm cannot hash an empty password (`factory-broker passwd` refuses one too): it never matches.
      if (password.length === 0) return false
      // Runs on the event loop (WebAssembly), unlike scrypt and PBKDF2 which use libuv's thread pool.
      computed = Buffer.from(await argon2id({
        password,
        salt: stored.salt,
        memorySize: stored.memoryKiB,
        iterations: stored.iterations,
        parallelism: stored.parallelism,
        hashLength: stored.hash.length,
        outputType: 'binary'
      }))
      break
  }
  return computed.length === stored.hash.length && timingSafeEqual(computed, stored.hash)
}

/** Parses the text of a password file into user → hash; throws PasswordFileError naming the line. */
export function parsePasswordFile (text: string, source = 'password file'): Map<string, PasswordHash> {
  const users = new Map<string, PasswordHash>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '' || line.startsWith('#')) continue
    const colon = line.lastIndexOf(':')
    if (colon <= 0) throw new PasswordFileError(`${source}:${i + 1}: expected "user:hash"`)
    const user = line.slice(0, colon)
    try {
      users.set(user, parseHash(line.slice(colon + 1)))
    } catch (err) {
      throw new PasswordFileError(`${source}:${i + 1}: user ${JSON.stringify(user)}: ${(err as Error).message}`)
    }
  }
  return users
}

/** Reads and parses a password file. */
export async function loadPasswordFile (path: string): Promise<Map<string, PasswordHash>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new PasswordFileError(`cannot read password file ${path}: ${(err as Error).message}`)
  }
  return parsePasswordFile(text, path)
}

/**
 * Adds or replaces one user in a password file (created if missing), keeping every other line,
 * and writes it atomically (temp file + rename) with mode 0600.
 */
export async function setPassword (path: string, user: string, password: string): Promise<void> {
  if (user === '' || user.includes(':') || /\s/.test(user)) {
    throw new PasswordFileError(`invalid user name ${JSON.stringify(user)}: it must be non-empty, without ':' or spaces`)
  }
  if (password === '') throw new PasswordFileError('the password must not be empty')
  let lines: string[] = []
  try {
    lines = (await readFile(path, 'utf8')).split(/\r?\n/)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const entry = `${user}:${await hashPassword(password)}`
  const index = lines.findIndex((line) => line.slice(0, line.lastIndexOf(':')).trim() === user && !line.trim().startsWith('#'))
  if (index === -1) lines.push(entry)
  else lines[index] = entry
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, lines.join('\n') + '\n', { mode: 0o600 })
  await rename(temp, path)
}

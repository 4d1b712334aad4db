import { test } from 'node:test'
import { startMosquitto } from '@factory-edge/test-support/mosquitto'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { brokerConfigSpec, startBroker } from '../src/index.js'
import { freePort, holdPort } from '@factory-edge/test-support/ports'
import { assertOneLineExit } from '@factory-edge/test-support/child-process'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { connect, endClient, quietLogger, selfSignedCertificate } from './helpers.js'

const BIN = 'broker/dist/src/bin/factory-broker.js'

test('--help lists every option with its environment variable', () => {
  const result = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' })
  assert.equal(result.status, 0)
  for (const opt of Object.values(brokerConfigSpec)) {
    const label = opt.type === 'boolean' ? `--[no-]${opt.flag}` : `--${opt.flag} `
    assert.ok(result.stdout.includes(label), `${label} missing from --help`)
    if (opt.env !== undefined) assert.ok(result.stdout.includes(opt.env), `${opt.env} missing from --help`)
  }
  assert.match(result.stdout, /passwd add <user>/)
})

test('bad configuration exits with code 2 and one line naming the setting', () => {
  const result = spawnSync(process.execPath, [BIN, '--port', 'abc'], { encoding: 'utf8' })
  assert.equal(result.status, 2)
  assert.match(result.stderr, /^factory-broker: invalid value "abc" for --port \(BROKER_PORT\)/)
  const tls = spawnSync(process.execPath, [BIN, '--tls-cert', 'x.pem'], { encoding: 'utf8' })
  assert.equal(tls.status, 2)
  assert.match(tls.stderr, /--tls-cert and --tls-key must be given together/)
})

test('unusable files and addresses are configuration mistakes too: exit code 2, one line, no stack', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const acl = join(dir.dir, 'acl')
  const passwords = join(dir.dir, 'passwords')
  const pem = join(dir.dir, 'bad.pem')
  await writeFile(acl, 'topic read a/#\nbogus line\n')
  await writeFile(passwords, 'alice:not-a-hash\n')
  await writeFile(pem, 'not a certificate\n')
  const cases: Array<[string[], RegExp]> = [
    [['--acl-file', acl], new RegExp(`^factory-broker: ${acl}:2: expected "user", "topic" or "pattern"`)],
    [['--acl-file', join(dir.dir, 'none')], /^factory-broker: cannot read ACL file .*none: ENOENT/],
    [['--password-file', passwords], new RegExp(`^factory-broker: ${passwords}:1: user "alice": unknown password hash format`)],
    [['--password-file', join(dir.dir, 'none')], /^factory-broker: cannot read password file .*none: ENOENT/],
    [['--tls-cert', join(dir.dir, 'none'), '--tls-key', pem], /^factory-broker: cannot read --tls-cert \(env BROKER_TLS_CERT\) .*none: ENOENT/],
    [['--tls-cert', pem, '--tls-key', pem, '--tls-port', '0'], /^factory-broker: the TLS certificate, key or CA .* cannot be used: /],
    [['--host', '0.0.0.0'], /^factory-broker: no password file on the non-loopback address 0\.0\.0\.0: set --password-file/],
    [['--http-host', '192.0.2.1', '--http-port', '0'], /^factory-broker: HTTP endpoint \(\/healthz, \/metrics\): cannot listen on address 192\.0\.2\.1: it is not an address of this machine/]
  ]
  for (const [args, message] of cases) {
    const result = spawnSync(process.execPath, [BIN, '--port', '0', '--no-ws', '--http-port', '-1', ...args], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, message)
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
  }
})

test('--version prints the package version; a mistyped option names the nearest one', () => {
  const { version } = JSON.parse(readFileSync('broker/package.json', 'utf8')) as { version: string }
  const result = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  assert.equal(result.stdout, `factory-broker ${version}\n`)
  assert.match(spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' }).stdout, /--version +Show the version and exit/)
  const typo = spawnSync(process.execPath, [BIN, '--max-conections', '10'], { encoding: 'utf8' })
  assert.equal(typo.status, 2)
  assert.equal(typo.stderr, 'factory-broker: unknown option --max-conections; did you mean --max-connections?\n')
})

test('passwd add writes a $7$ line that factory-broker and Debian\'s Mosquitto both accept', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const file = join(dir.dir, 'passwords')
  const result = spawnSync(process.execPath, [BIN, 'passwd', 'add', 'alice', '--password-file', file], { input: 'open sesame\n', encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  assert.match(await readFile(file, 'utf8'), /^alice:\$7\$/)
  const broker = await startBroker({ port: 0, passwordFile: file, logger: quietLogger() })
  t.after(() => broker.close())
  await endClient(await connect(broker.url, { username: 'alice', password: 'open sesame' }))
  await assert.rejects(connect(broker.url, { username: 'alice', password: 'open sesame ' }))
  // The same file for Mosquitto (mosquitto.conf's password_file): one file serves both brokers.
  const mosquitto = await startMosquitto({ auth: { passwordFile: file } })
  t.after(async () => { await mosquitto.stop(); await mosquitto.cleanup() })
  await endClient(await connect(mosquitto.url, { username: 'alice', password: 'open sesame' }))
  await assert.rejects(connect(mosquitto.url, { username: 'alice', password: 'open sesame ' }))
  const missing = spawnSync(process.execPath, [BIN, 'passwd', 'add', 'bob'], { input: 'x\n', encoding: 'utf8' })
  assert.equal(missing.status, 2)
  assert.match(missing.stderr, /needs --password-file/)
})

test('a port in use is reported with the flag to change it; SIGHUP reloads; SIGTERM shuts down cleanly', async (t) => {
  const port = await freePort()
  const env = { ...process.env, LOG_FORMAT: 'json', BROKER_HTTP_PORT: '-1', BROKER_WS: 'false' }
  const child = spawn(process.execPath, [BIN, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  const deadline = Date.now() + 15000
  while (!out.includes('broker listening') && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 25))
  assert.match(out, /broker listening/)

  const second = spawnSync(process.execPath, [BIN, '--port', String(port)], { env, encoding: 'utf8' })
  assertOneLineExit(second, 2, new RegExp(`^factory-broker: MQTT listener: port ${port} on 127.0.0.1 is already in use .*; choose another with --port \\(env BROKER_PORT\\)$`))

  // SIGHUP reloads the password file and ACL (here: none) and keeps running.
  child.kill('SIGHUP')
  const reloadBy = Date.now() + 10000
  while (!out.includes('password file and ACL reloaded') && Date.now() < reloadBy) await new Promise((resolve) => setTimeout(resolve, 25))
  assert.match(out, /password file and ACL reloaded/)
  assert.equal(child.exitCode, null)

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
  assert.match(out, /broker stopped/)
})

test('every listener on a taken port: one line naming its flag and environment variable, exit 2', async (t) => {
  const dir = await tempDir('broker-ports-')
  t.after(() => dir.cleanup())
  const { certFile, keyFile } = selfSignedCertificate(dir.dir)
  const listeners: Array<[string, string, (taken: number, free: number) => string[]]> = [
    ['MQTT listener', '--port \\(env BROKER_PORT\\)', (taken) => ['--port', String(taken), '--ws=false', '--http-port', '-1']],
    ['WebSocket listener', '--ws-port \\(env BROKER_WS_PORT\\)', (taken, free) => ['--port', String(free), '--ws-port', String(taken), '--http-port', '-1']],
    ['TLS listener', '--tls-port \\(env BROKER_TLS_PORT\\)', (taken, free) => ['--port', String(free), '--ws=false', '--http-port', '-1', '--tls-cert', certFile, '--tls-key', keyFile, '--tls-port', String(taken)]],
    ['HTTP endpoint \\(/healthz, /metrics\\)', '--http-port \\(env BROKER_HTTP_PORT\\)', (taken, free) => ['--port', String(free), '--ws=false', '--http-port', String(taken)]]
  ]
  for (const [what, setting, args] of listeners) {
    const held = await holdPort()
    try {
      const result = spawnSync(process.execPath, [BIN, ...args(held.port, 0)], { encoding: 'utf8' })
      assertOneLineExit(result, 2, new RegExp(`^factory-broker: ${what}: port ${held.port} on 127.0.0.1 is already in use .*; choose another with ${setting}$`))
    } finally {
      await held.release()
    }
  }
})

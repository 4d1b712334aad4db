import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { IClientOptions } from 'mqtt'
import { setPassword, startBroker, type BrokerHandle } from '../src/index.js'
import { ACL_CASES, TEST_ACL_LINES, TEST_USERS, mismatches, passwordOf, runAclCases } from './acl-table.js'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { connect, endClient, nextMessage, quietLogger, selfSignedCertificate } from './helpers.js'
import { MOSQUITTO } from '@factory-edge/test-support/mosquitto'
import { startMosquitto, type RunningMosquitto } from './mosquitto.js'

// Both brokers get the same files: config/acl plus test lines, and a password file from mosquitto_passwd
// (both read $7$ lines, which mosquitto_passwd and `factory-broker passwd add` write).
async function writeFixtures (dir: string): Promise<{ passwordFile: string, aclFile: string }> {
  const aclFile = join(dir, 'acl')
  await writeFile(aclFile, (await readFile('config/acl', 'utf8')) + TEST_ACL_LINES)
  const passwordFile = join(dir, 'passwords')
  for (const [i, user] of TEST_USERS.entries()) {
    execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwordFile, user, passwordOf(user)], { stdio: 'ignore' })
  }
  return { passwordFile, aclFile }
}

async function checkLogins (url: string, tls: IClientOptions = {}): Promise<void> {
  await assert.rejects(connect(url, tls), /Not authorized|Bad username or password/i, 'anonymous clients must be refused')
  await assert.rejects(connect(url, { ...tls, username: 'detector', password: 'wrong' }), /Not authorized|Bad username or password/i)
  await assert.rejects(connect(url, { ...tls, username: 'nobody', password: 'x' }), /Not authorized|Bad username or password/i)
  const ok = await connect(url, { ...tls, username: 'detector', password: passwordOf('detector') })
  await endClient(ok)
}

describe('the ACL table against factory-broker', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let broker: BrokerHandle
  before(async () => {
    dir = await tempDir()
    const files = await writeFixtures(dir.dir)
    broker = await startBroker({ port: 0, wsPort: 0, tlsPort: 0, tls: selfSignedCertificate(dir.dir), ...files, logger: quietLogger() })
  })
  after(async () => {
    await broker?.close()
    await dir?.cleanup()
  })

  test('refuses anonymous clients and wrong passwords, accepts mosquitto_passwd hashes', async () => {
    await checkLogins(broker.url)
    await checkLogins(`ws://127.0.0.1:${broker.wsPort}`)
    await checkLogins(`mqtts://127.0.0.1:${broker.tlsPort}`, { ca: await readFile(join(dir.dir, 'cert.pem')) })
    assert.ok(broker.metrics.authFailures >= 9)
  })

  test('every case of the table', async () => {
    const outcomes = await runAclCases(broker.url)
    assert.deepEqual(mismatches(outcomes), [])
    // Denials are counted per action.
    const denied = (action: string): number => ACL_CASES.filter((c) => c.action === action && !c.allowed).length
    assert.equal(broker.metrics.denials.publish, denied('publish'))
    // Only machine-1's factory/machine-2/state and dashboard's lab/bench can match no readable topic, and
    // tester's lab/secret is covered by a deny rule, so only they are refused at SUBSCRIBE; the other
    // denied receive cases are refused per delivery.
    assert.equal(broker.metrics.denials.subscribe, 3)
    assert.ok(broker.metrics.denials.read >= denied('receive') - 3)
  })
})

describe('the same ACL table against Mosquitto (/usr/sbin/mosquitto with mosquitto.conf)', { skip: !existsSync(MOSQUITTO) && 'mosquitto is not installed' }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let mosquitto: RunningMosquitto
  before(async () => {
    dir = await tempDir()
    const files = await writeFixtures(dir.dir)
    mosquitto = await startMosquitto({ dir: dir.dir, ...files, tls: selfSignedCertificate(dir.dir) })
  })
  after(async () => {
    await mosquitto?.stop()
    await dir?.cleanup()
  })

  test('refuses anonymous clients and wrong passwords, over TCP, WebSocket and TLS (the TLS block uncommented)', async () => {
    await checkLogins(mosquitto.url)
    await checkLogins(mosquitto.wsUrl)
    assert.ok(mosquitto.tlsUrl !== undefined)
    await checkLogins(mosquitto.tlsUrl, { ca: await readFile(join(dir.dir, 'cert.pem')) })
  })

  test('every case of the table', async () => {
    const outcomes = await runAclCases(mosquitto.url)
    assert.deepEqual(mismatches(outcomes), [], mosquitto.log())
  })
})

test('reload() applies an edited password file and ACL to new and connected clients, and keeps them on error', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  const passwordFile = join(dir.dir, 'passwords')
  const aclFile = join(dir.dir, 'acl')
  await setPassword(passwordFile, 'alice', 'a')
  await writeFile(aclFile, 'user alice\ntopic readwrite one/#\n')
  const broker = await startBroker({ port: 0, passwordFile, aclFile, logger: quietLogger() })
  t.after(() => broker.close())
  const alice = await connect(broker.url, { username: 'alice', password: 'a' })
  t.after(() => endClient(alice))
  await assert.rejects(connect(broker.url, { username: 'bob', password: 'b' }))
  await assert.rejects(alice.subscribeAsync('two/x'))

  await setPassword(passwordFile, 'bob', 'b')
  await writeFile(aclFile, 'user alice\ntopic readwrite two/#\n')
  await broker.reload()
  await endClient(await connect(broker.url, { username: 'bob', password: 'b' }))
  const granted = await alice.subscribeAsync('two/x')
  assert.equal(granted[0].qos, 0)
  const received = nextMessage(alice)
  await alice.publishAsync('two/x', 'after reload')
  assert.equal((await received).payload.toString(), 'after reload')

  // A broken ACL is refused; the one in force stays.
  await writeFile(aclFile, 'user alice\ntopic readwrite two/#/x\n')
  await assert.rejects(broker.reload(), /invalid wildcard/)
  assert.equal((await alice.subscribeAsync('two/y'))[0].qos, 0)
})

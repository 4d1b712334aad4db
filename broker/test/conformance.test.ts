import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startBroker, type BrokerHandle } from '../src/index.js'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { MOSQUITTO } from '@factory-edge/test-support/mosquitto'
import { quietLogger } from './helpers.js'
import { startMosquitto, type RunningMosquitto } from './mosquitto.js'
import { PINGREQ, ackBytes, connectBytes, exchange, publishBytes, subscribeBytes, unsubscribeBytes, type RawConnect } from '@factory-edge/test-support/raw-mqtt'

// MQTT 3.1.1 conformance, from raw bytes, against factory-broker and against Mosquitto with the same
// password file and ACL: each case says what the broker must answer and whether it must close.

const USER = 'tester'
const PASSWORD = 'tester-secret'
const ACL = `user ${USER}\ntopic readwrite #\ntopic deny lab/secret\n`
const INVALID_UTF8 = Buffer.from([0x61, 0xff, 0xfe, 0x62])
const TRUNCATED_UTF8 = Buffer.from([0x61, 0xf0, 0x9f, 0x98]) // a 4-byte sequence cut after 3 bytes
const SURROGATE = Buffer.from([0x61, 0xed, 0xa0, 0x80]) // U+D800 encoded as UTF-8

interface Case {
  name: string
  steps: Buffer[]
  /** CONNACK return code expected; undefined = no CONNACK at all. */
  connack?: number
  /** Packet types expected after the CONNACK, e.g. ['suback'], with their codes for a SUBACK. */
  then?: string[]
  granted?: number[]
  closed: boolean
  /** Mosquitto answers differently: the case is not run against it (the reason is the value). */
  notMosquitto?: string
}

let counter = 0
const login = (c: Partial<RawConnect> = {}): Buffer =>
  connectBytes({ clientId: `conf-${process.pid}-${counter++}`, username: USER, password: PASSWORD, ...c })

const CASES: Case[] = [
  // MQTT-1.5.3-1 / -2 in the CONNECT
  { name: 'client id with invalid UTF-8', steps: [login({ clientId: INVALID_UTF8 })], closed: true },
  { name: 'client id with a truncated UTF-8 sequence', steps: [login({ clientId: TRUNCATED_UTF8 })], closed: true },
  { name: 'client id with an encoded surrogate', steps: [login({ clientId: SURROGATE })], closed: true },
  { name: 'client id with U+0000', steps: [login({ clientId: 'a\u0000b' })], closed: true },
  { name: 'user name with invalid UTF-8', steps: [login({ username: INVALID_UTF8 })], closed: true },
  { name: 'will topic with invalid UTF-8', steps: [login({ will: { topic: INVALID_UTF8, qos: 0 } })], closed: true },
  { name: 'will topic with U+0000', steps: [login({ will: { topic: 'factory/\u0000', qos: 0 } })], closed: true },
  { name: 'will topic with a wildcard (MQTT-3.3.2-2)', steps: [login({ will: { topic: 'factory/+/telemetry', qos: 0 } })], closed: true },
  // MQTT-3.1.2-14, -22, MQTT-3.1.3-8
  { name: 'will QoS 3', steps: [login({ will: { topic: 'factory/machine-9/telemetry', qos: 3 } })], closed: true },
  { name: 'password without a user name', steps: [login({ username: undefined })], closed: true },
  { name: 'empty client id with a persistent session', steps: [login({ clientId: '', clean: false })], connack: 2, closed: true },
  { name: 'empty client id with a clean session is accepted', steps: [login({ clientId: '' }), PINGREQ], connack: 0, then: ['pingresp'], closed: false },
  {
    name: 'MQTT 5 CONNECT is refused with CONNACK 0x01',
    steps: [login({ version: 5 })],
    connack: 1,
    closed: true,
    notMosquitto: 'Mosquitto supports MQTT 5'
  },
  { name: 'MQTT 3.1 with an empty client id (3.1 has no assigned ids)', steps: [login({ version: 3, clientId: '' })], connack: 2, closed: true },
  { name: 'MQTT 3.1 is supported', steps: [login({ version: 3, clientId: 'v31' }), PINGREQ], connack: 0, then: ['pingresp'], closed: false },
  // Topic names (MQTT-1.5.3-1, -2, MQTT-3.3.2-2)
  { name: 'PUBLISH on a topic of 30 000 bytes of 0xff', steps: [login(), publishBytes(Buffer.concat([Buffer.from('factory/'), Buffer.alloc(30000, 0xff), Buffer.from('/telemetry')]), 'x', { qos: 1 })], connack: 0, closed: true },
  { name: 'PUBLISH on a topic with invalid UTF-8, retained', steps: [login(), publishBytes(INVALID_UTF8, 'x', { retain: true })], connack: 0, closed: true },
  { name: 'PUBLISH on a topic with U+0000', steps: [login(), publishBytes('factory/\u0000/telemetry', 'x')], connack: 0, closed: true },
  { name: 'PUBLISH on a topic with a wildcard', steps: [login(), publishBytes('factory/+/telemetry', 'x')], connack: 0, closed: true },
  // Topic filters (MQTT-1.5.3-1, -2, MQTT-4.7.1-2, -3)
  { name: 'SUBSCRIBE to +#', steps: [login(), subscribeBytes(['+#'])], connack: 0, closed: true },
  { name: 'SUBSCRIBE to a+/b', steps: [login(), subscribeBytes(['a+/b'])], connack: 0, closed: true },
  { name: 'SUBSCRIBE to a/#/b', steps: [login(), subscribeBytes(['a/#/b'])], connack: 0, closed: true },
  { name: 'SUBSCRIBE to a filter with invalid UTF-8', steps: [login(), subscribeBytes([INVALID_UTF8])], connack: 0, closed: true },
  { name: 'SUBSCRIBE to a filter with U+0000', steps: [login(), subscribeBytes(['a/\u0000'])], connack: 0, closed: true },
  { name: 'UNSUBSCRIBE from a filter with invalid UTF-8', steps: [login(), unsubscribeBytes([INVALID_UTF8])], connack: 0, closed: true },
  // MQTT-3.10.3-2: the filters of an UNSUBSCRIBE are topic filters too (MQTT-4.7.1-2, -3).
  { name: 'UNSUBSCRIBE from +#', steps: [login(), unsubscribeBytes(['+#'])], connack: 0, closed: true },
  { name: 'UNSUBSCRIBE from a+/b', steps: [login(), unsubscribeBytes(['a+/b'])], connack: 0, closed: true },
  { name: 'UNSUBSCRIBE from a/#/b', steps: [login(), unsubscribeBytes(['a/#/b'])], connack: 0, closed: true },
  { name: 'UNSUBSCRIBE from a valid filter and an invalid one', steps: [login(), unsubscribeBytes(['a/+/b', 'a/b#'])], connack: 0, closed: true },
  { name: 'UNSUBSCRIBE from valid filters', steps: [login(), unsubscribeBytes(['a/+/b', '#', 'a/#', '+'])], connack: 0, then: ['unsuback'], closed: false },
  { name: 'SUBSCRIBE to valid filters', steps: [login(), subscribeBytes(['a/+/b', '#', 'a/#', '+'])], connack: 0, then: ['suback'], granted: [1, 1, 1, 1], closed: false },
  // Acknowledgements of packet ids the broker does not know: ignored, as Mosquitto does; PUBREC still gets its PUBREL.
  { name: 'PUBACK for an unknown packet id', steps: [login({ clientId: 'acks-1', clean: false }), ackBytes('puback', 4242), PINGREQ], connack: 0, then: ['pingresp'], closed: false },
  { name: 'PUBREC for an unknown packet id', steps: [login({ clientId: 'acks-2', clean: false }), ackBytes('pubrec', 4242), PINGREQ], connack: 0, then: ['pubrel', 'pingresp'], closed: false },
  { name: 'PUBCOMP for an unknown packet id', steps: [login({ clientId: 'acks-3', clean: false }), ackBytes('pubcomp', 4242), PINGREQ], connack: 0, then: ['pingresp'], closed: false },
  // ACL: a filter a deny rule covers entirely is refused in the SUBACK; a partial overlap is granted.
  {
    name: 'SUBSCRIBE to a filter a deny rule covers',
    steps: [login(), subscribeBytes(['lab/secret', 'lab/+'])],
    connack: 0,
    then: ['suback'],
    granted: [0x80, 1],
    closed: false,
    notMosquitto: 'Mosquitto grants it and then delivers nothing'
  }
]

async function runCases (port: number, broker: 'factory-broker' | 'mosquitto'): Promise<string[]> {
  const failures: string[] = []
  for (const c of CASES) {
    if (broker === 'mosquitto' && c.notMosquitto !== undefined) continue
    const { received, closed } = await exchange(port, c.steps, c.closed)
    const connack = received[0]?.cmd === 'connack' ? received[0] : undefined
    const got = {
      connack: connack?.returnCode,
      then: received.slice(connack !== undefined ? 1 : 0).map((p) => p.cmd),
      granted: received.find((p) => p.cmd === 'suback')?.granted,
      closed
    }
    const want = { connack: c.connack, then: c.then ?? [], granted: c.granted, closed: c.closed }
    try {
      assert.deepEqual(got, want)
    } catch {
      failures.push(`${c.name}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`)
    }
  }
  return failures
}

async function fixtures (dir: string): Promise<{ passwordFile: string, aclFile: string }> {
  const passwordFile = join(dir, 'passwords')
  const aclFile = join(dir, 'acl')
  execFileSync('mosquitto_passwd', ['-c', '-b', passwordFile, USER, PASSWORD], { stdio: 'ignore' })
  await writeFile(aclFile, ACL)
  return { passwordFile, aclFile }
}

describe('MQTT 3.1.1 conformance of factory-broker', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let broker: BrokerHandle
  before(async () => {
    dir = await tempDir()
    broker = await startBroker({ port: 0, ...(await fixtures(dir.dir)), logger: quietLogger() })
  })
  after(async () => {
    await broker?.close()
    await dir?.cleanup()
  })

  test('every case of the table', async () => {
    assert.deepEqual(await runCases(broker.port, 'factory-broker'), [])
    // Every refused CONNECT, PUBLISH, SUBSCRIBE and UNSUBSCRIBE above counts as a protocol violation,
    // except the wildcard PUBLISH and SUBSCRIBE to a/#/b, which aedes refuses itself, and MQTT 5 (CONNACK 0x01).
    const refused = CASES.filter((c) => c.closed && c.connack !== 1).length
    assert.equal(broker.metrics.protocolViolations, refused - 2)
    assert.equal(broker.metrics.denials.subscribe, 1)
  })
})

describe('the same table against Mosquitto', { skip: !existsSync(MOSQUITTO) && 'mosquitto is not installed' }, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let mosquitto: RunningMosquitto
  before(async () => {
    dir = await tempDir()
    mosquitto = await startMosquitto({ dir: dir.dir, ...(await fixtures(dir.dir)) })
  })
  after(async () => {
    await mosquitto?.stop()
    await dir?.cleanup()
  })

  test('every case of the table', async () => {
    assert.deepEqual(await runCases(mosquitto.port, 'mosquitto'), [], mosquitto.log())
  })
})

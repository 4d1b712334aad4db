import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InboundPacketChecker, PacketTooLargeError, ProtocolViolationError } from '../src/index.js'
import { PINGREQ, connectBytes, publishBytes, subscribeBytes, unsubscribeBytes } from '@factory-edge/test-support/raw-mqtt'

// The checker sees a TCP stream: packets split anywhere and several in one chunk must give the same answer.

function feed (bytes: Buffer, chunkSize: number, limit = 0): Error | undefined {
  const checker = new InboundPacketChecker(limit)
  for (let i = 0; i < bytes.length; i += chunkSize) {
    const err = checker.check(bytes.subarray(i, i + chunkSize))
    if (err !== undefined) return err
  }
  return undefined
}

const GOOD = Buffer.concat([
  connectBytes({ clientId: 'ünïcødé-client', will: { topic: 'factory/m1/status', qos: 1, payload: '\u0000binary is fine here' }, username: 'u', password: '\u0000\u00ff' }),
  publishBytes('factory/m1/telemetry', Buffer.alloc(3000, 0xff), { qos: 1 }),
  publishBytes('a', ''),
  subscribeBytes(['factory/+/telemetry', '#']),
  unsubscribeBytes(['factory/+/telemetry', '#', 'a/#', '+']),
  PINGREQ
])

const INVALID = Buffer.from([0xc3, 0x28])

test('valid packets pass however the stream is split', () => {
  for (const size of [1, 2, 3, 7, 100, GOOD.length]) assert.equal(feed(GOOD, size), undefined, `chunks of ${size}`)
})

test('invalid UTF-8 and U+0000 in every string field, and an invalid UNSUBSCRIBE filter, are found however the stream is split', () => {
  const bad: Array<[Buffer, RegExp]> = [
    [connectBytes({ clientId: INVALID }), /client id is not well-formed UTF-8 \(MQTT-1.5.3-1\)/],
    [connectBytes({ clientId: 'c', will: { topic: 'a\u0000', qos: 0 } }), /will topic contains U\+0000 \(MQTT-1.5.3-2\)/],
    [connectBytes({ clientId: 'c', username: INVALID, password: 'p' }), /user name is not well-formed UTF-8/],
    [publishBytes(Buffer.concat([Buffer.from('factory/'), Buffer.alloc(30000, 0xff)]), 'x', { qos: 1 }), /topic name is not well-formed UTF-8/],
    [subscribeBytes(['ok', Buffer.from([0x61, 0xed, 0xa0, 0x80])]), /topic filter is not well-formed UTF-8/],
    [unsubscribeBytes(['ok', 'a\u0000']), /topic filter contains U\+0000/],
    [unsubscribeBytes(['ok', '+#']), /UNSUBSCRIBE: "#" must be the whole last level of "\+#" \(MQTT-4\.7\.1-2\)/],
    [unsubscribeBytes(['a+/b']), /UNSUBSCRIBE: "\+" must be a whole level of "a\+\/b" \(MQTT-4\.7\.1-3\)/]
  ]
  for (const [bytes, message] of bad) {
    for (const size of [1, 5, bytes.length]) {
      const err = feed(Buffer.concat([GOOD, bytes, PINGREQ]), size)
      assert.ok(err instanceof ProtocolViolationError, `${String(message)} in chunks of ${size}`)
      assert.match(err.message, message)
    }
  }
})

test('an MQTT 5 CONNECT is left to aedes (it answers CONNACK 0x01)', () => {
  assert.equal(feed(connectBytes({ clientId: 'c', version: 5 }), 1), undefined)
})

test('the size limit still applies from the header', () => {
  const err = feed(publishBytes('big', Buffer.alloc(2000)), 3, 1024)
  assert.ok(err instanceof PacketTooLargeError)
})

import type { PublishPacket } from 'aedes'

/**
 * Checks of topic names, topic filters and outgoing PUBLISH packets against MQTT 3.1.1. Each returns
 * what is wrong with its spec statement, or undefined when the value is valid. Invalid UTF-8 cannot be
 * seen here any more (the parser already decoded it): transport/inbound-check.ts refuses it from the bytes.
 */

/** A UTF-8 encoded string is at most 65 535 bytes long (§1.5.3). */
const MAX_STRING_BYTES = 65_535
/** Largest remaining length of a packet (§2.2.3). */
const MAX_REMAINING_LENGTH = 268_435_455

export interface Violation {
  reason: string
  statement: string
}

function commonProblem (topic: string, what: string): Violation | undefined {
  // Topic names and filters are at least one character long (MQTT-4.7.3-1).
  if (topic.length === 0) return { reason: `empty ${what}`, statement: 'MQTT-4.7.3-1' }
  if (topic.includes('\u0000')) return { reason: `${what} contains U+0000`, statement: 'MQTT-1.5.3-2' }
  if (Buffer.byteLength(topic) > MAX_STRING_BYTES) return { reason: `${what} longer than ${MAX_STRING_BYTES} bytes`, statement: 'MQTT-1.5.3' }
  return undefined
}

/** A topic name of a PUBLISH or a will: no wildcards (MQTT-3.3.2-2, MQTT-4.7.1-1). */
export function topicNameProblem (topic: string): Violation | undefined {
  const common = commonProblem(topic, 'topic name')
  if (common !== undefined) return common
  if (topic.includes('+') || topic.includes('#')) return { reason: 'wildcard in a topic name', statement: 'MQTT-3.3.2-2' }
  return undefined
}

/**
 * A topic filter of a SUBSCRIBE: `#` only as the whole last level (MQTT-4.7.1-2), `+` only as a whole
 * level (MQTT-4.7.1-3). aedes' own check lets `+#` and `a+/b` through.
 */
export function topicFilterProblem (filter: string): Violation | undefined {
  const common = commonProblem(filter, 'topic filter')
  if (common !== undefined) return common
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return { reason: `"#" must be the whole last level of ${JSON.stringify(filter)}`, statement: 'MQTT-4.7.1-2' }
    }
    if (level.includes('+') && level !== '+') {
      return { reason: `"+" must be a whole level of ${JSON.stringify(filter)}`, statement: 'MQTT-4.7.1-3' }
    }
  }
  return undefined
}

/**
 * Whether a PUBLISH can be stored and written to a subscriber at all. aedes writes with mqtt-packet, which throws on
 * a QoS above 2 or a topic longer than its 16-bit length field, and aedes answers that by disconnecting
 * the subscriber, whose persistent session still holds the message: the same failure at every reconnect.
 */
export function publishProblem (packet: PublishPacket): Violation | undefined {
  if (typeof packet.topic !== 'string') return { reason: 'topic name is not a string', statement: 'MQTT-3.3.2-1' }
  const topic = topicNameProblem(packet.topic)
  if (topic !== undefined) return topic
  if (packet.qos !== 0 && packet.qos !== 1 && packet.qos !== 2) return { reason: `QoS ${String(packet.qos)}`, statement: 'MQTT-3.3.1-4' }
  const payload = packet.payload ?? ''
  const size = 2 + Buffer.byteLength(packet.topic) + (packet.qos > 0 ? 2 : 0) + (typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length)
  if (size > MAX_REMAINING_LENGTH) return { reason: `packet of ${size} bytes`, statement: 'MQTT 2.2.3' }
  return undefined
}

import type { Duplex } from 'node:stream'
import { isUtf8 } from 'node:buffer'
import { PacketTooLargeError, ProtocolViolationError } from '../errors.js'
import { topicFilterProblem } from '../protocol/topics.js'

const enum State { Type, Length, Body }

// Control packet types (MQTT 3.1.1 §2.2.1) whose variable header or payload carries UTF-8 strings.
const CONNECT = 1
const PUBLISH = 3
const SUBSCRIBE = 8
const UNSUBSCRIBE = 10

// CONNECT flags (§3.1.2.3).
/** Shared while nothing is kept; keep() replaces it before it adds anything. */
const NOTHING_KEPT: Buffer[] = []

const WILL_FLAG = 0x04
const PASSWORD_FLAG = 0x40
const USERNAME_FLAG = 0x80

/**
 * Tracks MQTT fixed headers in a byte stream and refuses, before aedes parses them:
 * - a packet whose announced length exceeds the limit (0 = no limit). The MQTT parser buffers a whole
 *   packet before handing it on, so without this a client could make the broker hold up to 256 MB per
 *   connection;
 * - a UTF-8 string (client id, will topic, user name, topic name, topic filter) that is not well-formed
 *   UTF-8 or contains U+0000: the server MUST close the connection (MQTT-1.5.3-1, MQTT-1.5.3-2).
 *   This has to look at the bytes: mqtt-packet decodes strings with `toString('utf8')`, which turns
 *   each invalid sequence into U+FFFD. Such a topic then no longer fits the 65 535 bytes its length
 *   field allows, and every later attempt to forward it failed to encode and disconnected the subscriber.
 * - an UNSUBSCRIBE with a filter that is not a valid topic filter (`+#`, `a+/b`): its filters MUST be
 *   topic filters (MQTT-3.10.3-2, MQTT-4.7.1-2, -3), and aedes has no hook for UNSUBSCRIBE that could
 *   refuse it later (SUBSCRIBE filters are checked in protocol/conformance.ts). Mosquitto 2.0 closes
 *   the connection too.
 */
export class InboundPacketChecker {
  private state = State.Type
  private type = 0
  private length = 0
  private multiplier = 1
  private lengthBytes = 0
  private remaining = 0
  /** Body bytes of the current packet kept for the string check, and how many are needed. */
  private kept: Buffer[] = NOTHING_KEPT
  private keptLength = 0
  private wanted = 0
  private topicLengthKnown = false

  constructor (readonly limit: number) {}

  /** Scans one chunk; returns an error for the first packet that must be refused. */
  check (chunk: Uint8Array): Error | undefined {
    let i = 0
    const n = chunk.length
    while (i < n) {
      switch (this.state) {
        case State.Type:
          this.type = chunk[i++] >> 4
          this.state = State.Length
          this.length = 0
          this.multiplier = 1
          this.lengthBytes = 0
          break
        case State.Length: {
          const byte = chunk[i++]
          this.length += (byte & 0x7f) * this.multiplier
          this.multiplier *= 128
          this.lengthBytes++
          if ((byte & 0x80) !== 0) {
            if (this.lengthBytes === 4) return new ProtocolViolationError('malformed packet: remaining length longer than 4 bytes', 'MQTT 2.2.3')
            break
          }
          const size = 1 + this.lengthBytes + this.length
          if (this.limit > 0 && size > this.limit) return new PacketTooLargeError(size, this.limit)
          this.remaining = this.length
          this.startBody()
          this.state = this.remaining === 0 ? State.Type : State.Body
          break
        }
        case State.Body: {
          const take = Math.min(this.remaining, n - i)
          if (this.keptLength < this.wanted) {
            const err = this.keep(chunk.subarray(i, i + take))
            if (err !== undefined) return err
          }
          i += take
          this.remaining -= take
          if (this.remaining === 0) this.state = State.Type
          break
        }
      }
    }
    return undefined
  }

  private startBody (): void {
    this.kept = NOTHING_KEPT
    this.keptLength = 0
    this.topicLengthKnown = false
    // A PUBLISH needs only its topic (length first, then the topic itself); the other three are small
    // control packets whose strings can be anywhere in the body.
    if (this.type === PUBLISH) this.wanted = this.length >= 2 ? 2 : 0
    else if (this.type === CONNECT || this.type === SUBSCRIBE || this.type === UNSUBSCRIBE) this.wanted = this.length
    else this.wanted = 0
  }

  private keep (bytes: Uint8Array): Error | undefined {
    let offset = 0
    while (this.keptLength < this.wanted && offset < bytes.length) {
      const part = bytes.subarray(offset, offset + this.wanted - this.keptLength)
      offset += part.length
      if (this.kept === NOTHING_KEPT) this.kept = []
      this.kept.push(Buffer.from(part.buffer, part.byteOffset, part.length))
      this.keptLength += part.length
      if (this.keptLength < this.wanted) return undefined
      const body = this.kept.length === 1 ? this.kept[0] : Buffer.concat(this.kept)
      this.kept = [body]
      if (this.type === PUBLISH && !this.topicLengthKnown) {
        // Now the topic length is known: keep going until the whole topic is here.
        this.topicLengthKnown = true
        this.wanted = Math.min(2 + body.readUInt16BE(0), this.length)
        if (this.keptLength < this.wanted) continue
      }
      this.wanted = 0
      // Release the body: held until the next packet, it would keep every idle client's last CONNECT
      // or SUBSCRIBE in memory.
      this.kept = NOTHING_KEPT
      this.keptLength = 0
      return checkStrings(this.type, body)
    }
    return undefined
  }
}

/** Reads a length-prefixed field (§1.5.3) at `pos`; undefined when the packet is cut short (the parser reports that). */
function field (body: Buffer, pos: number): Buffer | undefined {
  if (pos + 2 > body.length) return undefined
  const end = pos + 2 + body.readUInt16BE(pos)
  return end <= body.length ? body.subarray(pos + 2, end) : undefined
}

function badString (bytes: Buffer | undefined, what: string): Error | undefined {
  if (bytes === undefined) return undefined
  if (!isUtf8(bytes)) return new ProtocolViolationError(`${what} is not well-formed UTF-8`, 'MQTT-1.5.3-1')
  if (bytes.includes(0)) return new ProtocolViolationError(`${what} contains U+0000`, 'MQTT-1.5.3-2')
  return undefined
}

/** The UTF-8 strings of one packet body (only as much of a PUBLISH as holds its topic). */
function checkStrings (type: number, body: Buffer): Error | undefined {
  switch (type) {
    case PUBLISH:
      return badString(field(body, 0), 'topic name')
    case SUBSCRIBE:
    case UNSUBSCRIBE: {
      // Packet identifier, then filters (each followed by a QoS byte in a SUBSCRIBE).
      for (let pos = 2; pos < body.length;) {
        const filter = field(body, pos)
        const err = badString(filter, 'topic filter')
        if (err !== undefined || filter === undefined) return err
        if (type === UNSUBSCRIBE) {
          const problem = topicFilterProblem(filter.toString('utf8'))
          if (problem !== undefined) return new ProtocolViolationError(`UNSUBSCRIBE: ${problem.reason}`, problem.statement)
        }
        pos += 2 + filter.length + (type === SUBSCRIBE ? 1 : 0)
      }
      return undefined
    }
    case CONNECT: {
      const name = field(body, 0)
      if (name === undefined) return undefined
      let pos = 2 + name.length
      // MQTT 5 has properties here; aedes refuses version 5 with CONNACK 0x01, so only 3.1 and 3.1.1 are read.
      const level = body[pos]
      if (level !== 3 && level !== 4) return undefined
      const flags = body[pos + 1]
      pos += 4 // level, flags, keep-alive
      const strings: Array<[string, boolean]> = [['client id', true], ['will topic', (flags & WILL_FLAG) !== 0], ['will message', (flags & WILL_FLAG) !== 0],
        ['user name', (flags & USERNAME_FLAG) !== 0], ['password', (flags & PASSWORD_FLAG) !== 0]]
      for (const [what, present] of strings) {
        if (!present) continue
        const bytes = field(body, pos)
        if (bytes === undefined) return undefined
        // The will message and the password are binary data, not strings (§3.1.3.3, §3.1.3.5).
        if (what !== 'will message' && what !== 'password') {
          const err = badString(bytes, what)
          if (err !== undefined) return err
        }
        pos += 2 + bytes.length
      }
      return undefined
    }
    default:
      return undefined
  }
}

/** Where a checked stream keeps its checker and the `push` it replaced. */
const CHECKER = Symbol('inbound packet checker')
type CheckedStream = Duplex & { [CHECKER]: { checker: InboundPacketChecker, push: Duplex['push'] } }

/** The `push` of every checked stream: one function, not a closure per connection (docs/scaling.md). */
function checkedPush (this: CheckedStream, chunk: unknown, encoding?: BufferEncoding): boolean {
  const { checker, push } = this[CHECKER]
  if (chunk !== null && chunk !== undefined) {
    const err = checker.check(chunk as Uint8Array)
    if (err !== undefined) {
      this.destroy(err)
      return false
    }
  }
  return push.call(this, chunk, encoding)
}

/**
 * Puts an {@link InboundPacketChecker} in front of a connection: every chunk the stream receives is
 * checked before it is buffered for aedes, and a refused packet destroys the stream with the error.
 * All bytes of a Readable (net and TLS sockets, ws streams) enter through `push`, so the check replaces
 * that one method of this stream instead of wrapping the stream in another Duplex, which cost every
 * idle connection a second pair of stream states and an extra write hop.
 */
export function checkInbound<T extends Duplex> (stream: T, limit: number): T {
  const checked = stream as T & CheckedStream
  checked[CHECKER] = { checker: new InboundPacketChecker(limit), push: stream.push }
  checked.push = checkedPush
  return stream
}

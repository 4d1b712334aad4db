/**
 * QoS 0 PUBLISH packets (MQTT 3.1.1 and 5 without properties) encoded back to back into one reusable
 * buffer, written to the socket as one chunk per scheduler turn. Going through the client's publish()
 * costs about 4.5 KB of short-lived objects per message (packet and option objects, a stream write per
 * packet field), which at thousands of readings per second grows V8's young generation by tens of MB
 * and caps the rate; a batch costs one copy.
 */
export class Qos0Batch {
  private buf: Buffer
  private len = 0
  /** Encoded topics, so each is converted to UTF-8 once. */
  private readonly topics = new Map<string, Buffer>()

  constructor (initialSize = 64 * 1024, private readonly protocolVersion: 3 | 4 | 5 = 4) {
    this.buf = Buffer.allocUnsafe(initialSize)
  }

  /** Bytes waiting. */
  get size (): number {
    return this.len
  }

  /** Appends one PUBLISH packet. */
  add (topic: string, payload: string | Buffer): void {
    let t = this.topics.get(topic)
    if (t === undefined) {
      t = Buffer.from(topic, 'utf8')
      this.topics.set(topic, t)
    }
    const payloadLen = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length
    // MQTT 5 has a property length after the topic: 0 = no properties.
    const props = this.protocolVersion === 5 ? 1 : 0
    const remaining = 2 + t.length + props + payloadLen
    this.ensure(1 + 4 + remaining)
    const buf = this.buf
    let o = this.len
    buf[o++] = 0x30
    let r = remaining
    do {
      let byte = r % 128
      r = Math.floor(r / 128)
      if (r > 0) byte |= 0x80
      buf[o++] = byte
    } while (r > 0)
    buf[o++] = t.length >> 8
    buf[o++] = t.length & 0xff
    o += t.copy(buf, o)
    if (props === 1) buf[o++] = 0
    o += typeof payload === 'string' ? buf.write(payload, o, 'utf8') : payload.copy(buf, o)
    this.len = o
  }

  /** Returns the packets added since the last call as one buffer of their own, and empties the batch. */
  take (): Buffer | undefined {
    if (this.len === 0) return undefined
    const out = Buffer.allocUnsafe(this.len)
    this.buf.copy(out, 0, 0, this.len)
    this.len = 0
    return out
  }

  private ensure (extra: number): void {
    if (this.len + extra <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + extra))
    this.buf.copy(bigger, 0, 0, this.len)
    this.buf = bigger
  }
}

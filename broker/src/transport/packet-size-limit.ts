import { Duplex } from 'node:stream'
import { PacketTooLargeError } from '../errors.js'

const enum State { Type, Length, Body }

/**
 * Tracks MQTT fixed headers in a byte stream and rejects a packet as soon as its announced length
 * exceeds the limit. The MQTT parser buffers a whole packet before handing it on, so without this a
 * client could make the broker hold up to 256 MB per connection.
 */
export class PacketSizeChecker {
  private state = State.Type
  private length = 0
  private multiplier = 1
  private lengthBytes = 0
  private remaining = 0

  constructor (readonly limit: number) {}

  /** Scans one chunk; returns an error for the first packet over the limit or a malformed length. */
  check (chunk: Uint8Array): Error | undefined {
    let i = 0
    const n = chunk.length
    while (i < n) {
      switch (this.state) {
        case State.Type:
          i++
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
            if (this.lengthBytes === 4) return new Error('malformed packet: remaining length longer than 4 bytes')
            break
          }
          const size = 1 + this.lengthBytes + this.length
          if (size > this.limit) return new PacketTooLargeError(size, this.limit)
          this.remaining = this.length
          this.state = this.remaining === 0 ? State.Type : State.Body
          break
        }
        case State.Body: {
          const take = Math.min(this.remaining, n - i)
          i += take
          this.remaining -= take
          if (this.remaining === 0) this.state = State.Type
          break
        }
      }
    }
    return undefined
  }
}

/**
 * Wraps a connection so that every byte read passes a PacketSizeChecker; writes go straight through.
 * An oversized packet destroys the connection with the checker's error.
 */
export class SizeLimitedConnection extends Duplex {
  private readonly checker: PacketSizeChecker

  constructor (private readonly inner: Duplex, limit: number) {
    super({ allowHalfOpen: false })
    this.checker = new PacketSizeChecker(limit)
    inner.on('data', (chunk: Buffer) => {
      const err = this.checker.check(chunk)
      if (err !== undefined) {
        this.destroy(err)
        return
      }
      if (!this.push(chunk)) inner.pause()
    })
    inner.on('end', () => this.push(null))
    inner.on('error', (err) => this.destroy(err))
    inner.on('close', () => { if (!this.destroyed) this.destroy() })
  }

  override _read (): void {
    this.inner.resume()
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.inner.write(chunk, callback)
  }

  override _writev (chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.inner.write(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback)
  }

  override _final (callback: (error?: Error | null) => void): void {
    this.inner.end(callback)
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy()
    callback(err)
  }
}

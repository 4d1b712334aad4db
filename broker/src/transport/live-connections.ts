import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/** Bytes received and sent over all connections, open and closed ($SYS/broker/bytes/…). */
export interface ByteTotals {
  readonly received: number
  readonly sent: number
}

/**
 * The broker's open connections, for the connection limit, for closing those that never sent CONNECT
 * at shutdown, and for the byte totals. One map entry and one shared 'close' listener per connection:
 * a closure (and `once` wrapper) per connection for each of these jobs cost every idle client a few
 * hundred bytes (docs/scaling.md).
 */
export class LiveConnections implements ByteTotals {
  /** Keyed by the socket under the connection (for WebSocket, the HTTP socket); the value is the MQTT stream. */
  private readonly open = new Map<Socket, Duplex>()
  private closedRead = 0
  private closedWritten = 0
  private readonly onClose: (this: Socket) => void

  constructor () {
    const connections = this
    // One function for every socket: `this` is the socket that closed.
    this.onClose = function (this: Socket): void { connections.forget(this) }
  }

  get size (): number {
    return this.open.size
  }

  /** Tracks `stream`, carried by `socket` (the same object for TCP and TLS), until the socket closes. */
  add (stream: Duplex, socket: Socket): void {
    this.open.set(socket, stream)
    socket.on('close', this.onClose)
  }

  get received (): number {
    let n = this.closedRead
    for (const socket of this.open.keys()) n += socket.bytesRead
    return n
  }

  get sent (): number {
    let n = this.closedWritten
    for (const socket of this.open.keys()) n += socket.bytesWritten
    return n
  }

  /** Destroys every connection still open (those that never sent CONNECT are not aedes clients). */
  destroyAll (): void {
    for (const stream of this.open.values()) stream.destroy()
  }

  private forget (socket: Socket): void {
    if (!this.open.delete(socket)) return
    this.closedRead += socket.bytesRead
    this.closedWritten += socket.bytesWritten
  }
}

import type { Socket } from 'node:net'
import type { Aedes } from 'aedes'
import type { BrokerMetrics } from './metrics.js'

/** Bytes read and written by the broker's connections, the closed ones included. */
export class ByteCounter {
  private readonly live = new Set<Socket>()
  private closedRead = 0
  private closedWritten = 0

  /** Counts a connection's socket (for WebSocket, the HTTP socket under it) until it closes. */
  track (socket: Socket): void {
    this.live.add(socket)
    socket.once('close', () => {
      this.closedRead += socket.bytesRead
      this.closedWritten += socket.bytesWritten
      this.live.delete(socket)
    })
  }

  get received (): number {
    let n = this.closedRead
    for (const s of this.live) n += s.bytesRead
    return n
  }

  get sent (): number {
    let n = this.closedWritten
    for (const s of this.live) n += s.bytesWritten
    return n
  }
}

/** The $SYS topics, by Mosquitto's names (its `sys_interval`), and their values now. */
export function sysValues (aedes: Aedes, metrics: BrokerMetrics, bytes: ByteCounter, version: string): Array<[topic: string, value: string]> {
  return [
    ['$SYS/broker/version', version],
    ['$SYS/broker/uptime', `${Math.round((Date.now() - metrics.startedAt) / 1000)} seconds`],
    ['$SYS/broker/clients/connected', String(aedes.connectedClients)],
    ['$SYS/broker/publish/messages/received', String(metrics.messagesIn)],
    ['$SYS/broker/publish/messages/sent', String(metrics.messagesOut)],
    ['$SYS/broker/bytes/received', String(bytes.received)],
    ['$SYS/broker/bytes/sent', String(bytes.sent)]
  ]
}

/**
 * Publishes the broker's statistics on $SYS/broker/… every `intervalS` seconds, retained, like
 * Mosquitto, so that `mosquitto_sub -t '$SYS/#' -v` and dashboards built for Mosquitto read them.
 * Wildcard filters at the first level do not match them (MQTT-4.7.2-1): only a `$SYS/…` subscription
 * does, and clients may not publish there. Returns a function that stops it.
 */
export function publishSysTopics (aedes: Aedes, metrics: BrokerMetrics, bytes: ByteCounter, version: string, intervalS: number): () => void {
  if (intervalS <= 0) return () => {}
  const publish = (): void => {
    for (const [topic, value] of sysValues(aedes, metrics, bytes, version)) {
      aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(value), qos: 0, retain: true, dup: false }, () => {})
    }
  }
  publish()
  const timer = setInterval(publish, intervalS * 1000)
  timer.unref()
  return () => clearInterval(timer)
}

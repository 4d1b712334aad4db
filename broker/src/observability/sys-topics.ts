import type { Aedes } from 'aedes'
import type { BrokerMetrics } from './metrics.js'
import type { ByteTotals } from '../transport/live-connections.js'

/** The $SYS topics, by Mosquitto's names (its `sys_interval`), and their values now. */
export function sysValues (aedes: Aedes, metrics: BrokerMetrics, bytes: ByteTotals, version: string): Array<[topic: string, value: string]> {
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
export function publishSysTopics (aedes: Aedes, metrics: BrokerMetrics, bytes: ByteTotals, version: string, intervalS: number): () => void {
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

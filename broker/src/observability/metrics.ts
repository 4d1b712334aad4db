import type { Registry } from 'prom-client'
import { collectedCounter, collectedGauge, createMetricsRegistry } from '@factory-edge/shared/ops'

/**
 * Counters of one broker. Plain fields, incremented on the hot path; the registry of
 * `createBrokerRegistry` reads them when /metrics is scraped.
 */
export class BrokerMetrics {
  connectionsAccepted = 0
  /** Connections closed at once because `maxConnections` was reached. */
  connectionsRejected = 0
  /** Clients whose CONNECT failed authentication (bad password, anonymous not allowed, ...). */
  authFailures = 0
  /** ACL denials by action. */
  denials = { publish: 0, subscribe: 0, read: 0 }
  /** PUBLISH packets received from clients. */
  messagesIn = 0
  /** PUBLISH packets forwarded to clients. */
  messagesOut = 0
  /** Connections closed for sending a packet larger than `maxPacketSize`. */
  oversizedPackets = 0
  /** Connections closed for a packet that breaks MQTT 3.1.1 (invalid UTF-8, wildcard in a will topic, ...). */
  protocolViolations = 0
  /** Messages dropped for one subscriber because they cannot be encoded; the subscriber stays connected. */
  undeliverableMessages = 0
  /** Other protocol and socket errors of clients (malformed packets, resets, ...). */
  clientErrors = 0
  keepaliveTimeouts = 0
  /** Clients disconnected because they stopped reading their messages (drain timeout). */
  slowClientsDropped = 0
  readonly startedAt = Date.now()
}

type CounterField = 'connectionsAccepted' | 'connectionsRejected' | 'authFailures' | 'messagesIn' | 'messagesOut' | 'oversizedPackets' | 'protocolViolations' | 'undeliverableMessages' | 'clientErrors' | 'slowClientsDropped' | 'keepaliveTimeouts'

const COUNTERS: Array<[name: string, help: string, field: CounterField]> = [
  ['connections_accepted_total', 'Network connections accepted', 'connectionsAccepted'],
  ['connections_rejected_total', 'Connections refused because max connections was reached', 'connectionsRejected'],
  ['auth_failures_total', 'CONNECTs refused by authentication', 'authFailures'],
  ['messages_in_total', 'PUBLISH packets received from clients', 'messagesIn'],
  ['messages_out_total', 'PUBLISH packets forwarded to clients', 'messagesOut'],
  ['oversized_packets_total', 'Connections closed for a packet above max packet size', 'oversizedPackets'],
  ['protocol_violations_total', 'Connections closed for a packet that breaks MQTT 3.1.1', 'protocolViolations'],
  ['undeliverable_messages_total', 'Messages dropped for a subscriber because they cannot be encoded', 'undeliverableMessages'],
  ['client_errors_total', 'Other client protocol or socket errors', 'clientErrors'],
  ['slow_clients_dropped_total', 'Clients disconnected for not reading their messages', 'slowClientsDropped'],
  ['keepalive_timeouts_total', 'Clients dropped for missing keep-alive', 'keepaliveTimeouts']
]

/**
 * A registry with prom-client's process and Node.js metrics and the broker's own (`factory_broker_*`),
 * read from `metrics` and `clientsConnected` at scrape time.
 */
export function createBrokerRegistry (metrics: BrokerMetrics, clientsConnected: () => number, prefix = 'factory_broker'): Registry {
  const registry = createMetricsRegistry()
  collectedGauge(registry, `${prefix}_clients_connected`, 'MQTT clients currently connected', clientsConnected)
  for (const [name, help, field] of COUNTERS) collectedCounter(registry, `${prefix}_${name}`, help, () => metrics[field])
  collectedCounter(registry, `${prefix}_acl_denials_total`, 'Operations refused by the ACL', () => [
    [{ action: 'publish' }, metrics.denials.publish],
    [{ action: 'subscribe' }, metrics.denials.subscribe],
    [{ action: 'read' }, metrics.denials.read]
  ], ['action'])
  collectedGauge(registry, `${prefix}_uptime_seconds`, 'Seconds since the broker started', () => Math.round((Date.now() - metrics.startedAt) / 1000))
  return registry
}

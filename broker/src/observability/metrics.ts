/** Counters of one broker, rendered in the Prometheus text format by `formatMetrics`. */
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
  /** Protocol and socket errors of clients (malformed packets, resets, ...). */
  clientErrors = 0
  keepaliveTimeouts = 0
  /** Clients disconnected because they stopped reading their messages (drain timeout). */
  slowClientsDropped = 0
  readonly startedAt = Date.now()
}

interface Sample { name: string, help: string, type: 'counter' | 'gauge', values: Array<[labels: string, value: number]> }

/** Renders the counters and the current client count as Prometheus text (version 0.0.4). */
export function formatMetrics (m: BrokerMetrics, clientsConnected: number, prefix = 'factory_broker'): string {
  const samples: Sample[] = [
    { name: 'clients_connected', help: 'MQTT clients currently connected', type: 'gauge', values: [['', clientsConnected]] },
    { name: 'connections_accepted_total', help: 'Network connections accepted', type: 'counter', values: [['', m.connectionsAccepted]] },
    { name: 'connections_rejected_total', help: 'Connections refused because max connections was reached', type: 'counter', values: [['', m.connectionsRejected]] },
    { name: 'auth_failures_total', help: 'CONNECTs refused by authentication', type: 'counter', values: [['', m.authFailures]] },
    {
      name: 'acl_denials_total',
      help: 'Operations refused by the ACL',
      type: 'counter',
      values: [['{action="publish"}', m.denials.publish], ['{action="subscribe"}', m.denials.subscribe], ['{action="read"}', m.denials.read]]
    },
    { name: 'messages_in_total', help: 'PUBLISH packets received from clients', type: 'counter', values: [['', m.messagesIn]] },
    { name: 'messages_out_total', help: 'PUBLISH packets forwarded to clients', type: 'counter', values: [['', m.messagesOut]] },
    { name: 'oversized_packets_total', help: 'Connections closed for a packet above max packet size', type: 'counter', values: [['', m.oversizedPackets]] },
    { name: 'client_errors_total', help: 'Client protocol or socket errors', type: 'counter', values: [['', m.clientErrors]] },
    { name: 'slow_clients_dropped_total', help: 'Clients disconnected for not reading their messages', type: 'counter', values: [['', m.slowClientsDropped]] },
    { name: 'keepalive_timeouts_total', help: 'Clients dropped for missing keep-alive', type: 'counter', values: [['', m.keepaliveTimeouts]] },
    { name: 'uptime_seconds', help: 'Seconds since the broker started', type: 'gauge', values: [['', Math.round((Date.now() - m.startedAt) / 1000)]] }
  ]
  const lines: string[] = []
  for (const s of samples) {
    lines.push(`# HELP ${prefix}_${s.name} ${s.help}`, `# TYPE ${prefix}_${s.name} ${s.type}`)
    for (const [labels, value] of s.values) lines.push(`${prefix}_${s.name}${labels} ${value}`)
  }
  return lines.join('\n') + '\n'
}

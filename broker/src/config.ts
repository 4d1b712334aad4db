import { loggingOptions, type ConfigOf, type ConfigSpec } from '@factory-edge/shared/runtime'
import { BROKER_DEFAULTS as D } from './defaults.js'

/** Settings of `factory-broker`; each is also a BrokerOptions field (see `toBrokerOptions`). */
export const brokerConfigSpec = {
  host: { flag: 'host', env: 'BROKER_HOST', type: 'string', default: D.host, description: 'Address the MQTT, WebSocket and TLS listeners bind to (0.0.0.0 for every interface)' },
  port: { flag: 'port', env: 'BROKER_PORT', type: 'integer', min: 0, max: 65535, default: D.port, description: 'MQTT over TCP port (0 picks a free port)' },
  ws: { flag: 'ws', env: 'BROKER_WS', type: 'boolean', default: D.ws, description: 'Accept MQTT over WebSocket (for browser dashboards)' },
  wsPort: { flag: 'ws-port', env: 'BROKER_WS_PORT', type: 'integer', min: 0, max: 65535, default: D.wsPort, description: 'MQTT over WebSocket port' },
  tlsPort: { flag: 'tls-port', env: 'BROKER_TLS_PORT', type: 'integer', min: 0, max: 65535, default: D.tlsPort, description: 'MQTT over TLS port, used when --tls-cert and --tls-key are given' },
  tlsCert: { flag: 'tls-cert', env: 'BROKER_TLS_CERT', type: 'string', description: 'TLS certificate chain (PEM file); with --tls-key enables the TLS listener' },
  tlsKey: { flag: 'tls-key', env: 'BROKER_TLS_KEY', type: 'string', description: 'TLS private key (PEM file)' },
  tlsCa: { flag: 'tls-ca', env: 'BROKER_TLS_CA', type: 'string', description: 'CA (PEM file) for client certificates; when set, TLS clients must present one' },
  httpHost: { flag: 'http-host', env: 'BROKER_HTTP_HOST', type: 'string', description: 'Address of the /healthz and /metrics endpoint [default: --host]' },
  httpPort: { flag: 'http-port', env: 'BROKER_HTTP_PORT', type: 'integer', min: -1, max: 65535, default: D.httpPort, description: 'Port of the /healthz and /metrics endpoint (-1 disables it)' },
  passwordFile: { flag: 'password-file', env: 'BROKER_PASSWORD_FILE', type: 'string', description: 'Password file (user:hash lines; `factory-broker passwd add` writes them)' },
  aclFile: { flag: 'acl-file', env: 'BROKER_ACL_FILE', type: 'string', description: 'ACL file in Mosquitto syntax (user / topic / pattern lines)' },
  allowAnonymous: { flag: 'allow-anonymous', env: 'BROKER_ALLOW_ANONYMOUS', type: 'boolean', description: 'Accept clients without a user name [default: only when there is no password file and --host is loopback]' },
  maxPacketSize: { flag: 'max-packet-size', env: 'BROKER_MAX_PACKET_SIZE', type: 'integer', min: 0, max: 268435455, default: D.maxPacketSize, description: 'Largest MQTT packet accepted, in bytes; bigger ones close the connection (0 = no limit)' },
  maxConnections: { flag: 'max-connections', env: 'BROKER_MAX_CONNECTIONS', type: 'integer', min: 0, default: D.maxConnections, description: 'Open connections over all listeners; more are closed at once (0 = no limit)' },
  maxKeepalive: { flag: 'max-keepalive', env: 'BROKER_MAX_KEEPALIVE', type: 'integer', min: 0, max: 65535, default: D.maxKeepalive, description: 'Largest client keep-alive in seconds; clients asking for more or for none are refused (0 = no limit)' },
  drainTimeout: { flag: 'drain-timeout', env: 'BROKER_DRAIN_TIMEOUT', type: 'integer', min: 100, default: D.drainTimeoutMs, description: 'Milliseconds a client that does not read its messages may hold up delivery before it is disconnected' },
  connectTimeout: { flag: 'connect-timeout', env: 'BROKER_CONNECT_TIMEOUT', type: 'integer', min: 100, default: D.connectTimeoutMs, description: 'Milliseconds a new connection has to send CONNECT' },
  sysInterval: { flag: 'sys-interval', env: 'BROKER_SYS_INTERVAL', type: 'integer', min: 0, max: 86400, default: D.sysIntervalS, description: 'Seconds between the statistics published retained on $SYS/broker/… (clients, messages, bytes, uptime, version), as Mosquitto\'s sys_interval (0 = none)' },
  persistence: { flag: 'persistence', env: 'BROKER_PERSISTENCE', type: 'enum', choices: ['memory', 'level', 'redis'], default: D.persistence, description: 'Session store: memory, level (LevelDB on disk, survives restarts) or redis (shared by a cluster)' },
  persistenceDir: { flag: 'persistence-dir', env: 'BROKER_PERSISTENCE_DIR', type: 'string', default: D.persistenceDir, description: 'Directory of the level store' },
  redisUrl: { flag: 'redis-url', env: 'BROKER_REDIS_URL', type: 'string', default: D.redisUrl, description: 'Redis for --persistence redis; it also carries messages between the brokers of a cluster' },
  brokerId: { flag: 'broker-id', env: 'BROKER_ID', type: 'string', description: 'Broker id (unique per cluster node) [default: random]' },
  ...loggingOptions
} as const satisfies ConfigSpec

export type BrokerConfig = ConfigOf<typeof brokerConfigSpec>

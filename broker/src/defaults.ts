/**
 * Every default of the broker service, once: the configuration spec (flags, environment, `--help`),
 * startBroker for the options a caller leaves out, and the generated docs read them from here.
 */
export const BROKER_DEFAULTS = {
  host: '127.0.0.1',
  port: 1883,
  ws: true,
  wsPort: 9001,
  tlsPort: 8883,
  httpPort: 8080,
  /** 256 KiB: far above a telemetry message, small enough that one client cannot exhaust memory. */
  maxPacketSize: 262_144,
  maxConnections: 10_000,
  /** 0 = no limit. */
  maxKeepalive: 0,
  drainTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  /** As Mosquitto's sys_interval. */
  sysIntervalS: 10,
  persistence: 'memory',
  persistenceDir: 'data/broker',
  redisUrl: 'redis://127.0.0.1:6379'
} as const

import { DEFAULT_TOPIC_PREFIX } from './topics.js'

/**
 * Telemetry on a NATS cluster. NATS's MQTT listener turns the topic `factory/<id>/telemetry` into the
 * subject `factory.<id>.telemetry` (nats-server 2.9 refuses a `.` in a topic and closes the connection,
 * so machine ids with a dot cannot publish there; 2.10 and later turn it into `//`); a server-side subject
 * mapping (nats-server 2.8+: `partition(n, wildcard)`, a deterministic hash of the machine id token) then
 * moves it to `telemetry.<p>.factory.<id>.telemetry`, which the telemetry stream captures. Partition p
 * is one durable consumer: each detector instance receives only its partitions' readings.
 */

/** First token of a partitioned telemetry subject. */
const PARTITION_ROOT = 'telemetry'

/** The mapping to put in the server configuration (`mappings { <from>: <to> }`), the same on every node. */
export function natsPartitionMapping (partitions: number, prefix = DEFAULT_TOPIC_PREFIX): { from: string, to: string } {
  return { from: `${prefix}.*.telemetry`, to: `${PARTITION_ROOT}.{{partition(${partitions},1)}}.${prefix}.{{wildcard(1)}}.telemetry` }
}

/** The subjects the telemetry stream captures: every partition. */
export function natsTelemetrySubjects (prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${PARTITION_ROOT}.*.${prefix}.*.telemetry`
}

/** The subjects of one partition (a consumer's filter). */
export function natsPartitionSubjects (partition: number, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${PARTITION_ROOT}.${partition}.${prefix}.*.telemetry`
}

/** The MQTT topic a partitioned subject came from: `telemetry.3.factory.m//1.telemetry` → `factory/m.1/telemetry`. */
export function mqttTopicOfPartitionedSubject (subject: string): string {
  const start = subject.indexOf('.', PARTITION_ROOT.length + 1) + 1
  return subject.slice(start).replaceAll('//', '\u0000').replaceAll('.', '/').replaceAll('\u0000', '.')
}

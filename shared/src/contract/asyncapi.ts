/**
 * The AsyncAPI 3.1 description of every topic, built from the same TypeBox schemas the services
 * validate with; `npm run docs:asyncapi` writes it to docs/asyncapi.yaml and a test keeps them equal.
 */
import { AnomalyEvent, GroundTruth, MachineState, MachineStatus, ProfileTelemetry, RejectedMessage, Telemetry } from './schemas.js'
import { MACHINE_ID_PATTERN, DEFAULT_TOPIC_PREFIX } from './topics.js'
import { ANOMALY_EVENT_EXAMPLES, GROUND_TRUTH_EXAMPLES, MACHINE_STATE_EXAMPLES, MACHINE_STATUS_EXAMPLES, PROFILE_TELEMETRY_EXAMPLES, REJECTED_MESSAGE_EXAMPLES, TELEMETRY_EXAMPLES, type MessageExample } from './examples.js'

interface ChannelInfo {
  kind: string
  title: string
  description: string
  schema: object
  publisher: string
  retained?: boolean
  qos: 0 | 1
  examples: Array<MessageExample<unknown>>
  /** Further messages of the channel (the telemetry of machines of other profiles). */
  more?: Array<{ title: string, schema: object, examples: Array<MessageExample<unknown>> }>
}

const CHANNELS: ChannelInfo[] = [
  { kind: 'telemetry', title: 'Telemetry', description: 'One reading per message, published by each machine (or the simulator).', schema: Telemetry, publisher: 'sensor', qos: 1, examples: TELEMETRY_EXAMPLES, more: [{ title: 'Telemetry of any sensor profile', schema: ProfileTelemetry, examples: PROFILE_TELEMETRY_EXAMPLES }] },
  { kind: 'anomalies', title: 'Anomaly event', description: 'Published by the edge detector when a machine\'s alert state changes: once when an anomaly is raised and once when it clears. Subscribe to `factory/+/anomalies` to be told about every machine.', schema: AnomalyEvent, publisher: 'detector', qos: 1, examples: ANOMALY_EVENT_EXAMPLES },
  { kind: 'state', title: 'Machine state', description: 'Retained: the detector\'s current view of the machine, so a new subscriber knows the state at once.', schema: MachineState, publisher: 'detector', retained: true, qos: 1, examples: MACHINE_STATE_EXAMPLES },
  { kind: 'status', title: 'Machine status', description: 'Retained: `online` when the publisher connects; its MQTT last will sets `offline` when it disappears. The detector reads it so that its web view shows such a machine as offline rather than silent.', schema: MachineStatus, publisher: 'sensor', retained: true, qos: 1, examples: MACHINE_STATUS_EXAMPLES },
  { kind: 'rejected', title: 'Rejected payload', description: 'Published by the detector for every telemetry payload it could not use, with the reason.', schema: RejectedMessage, publisher: 'detector', qos: 0, examples: REJECTED_MESSAGE_EXAMPLES },
  { kind: 'truth', title: 'Ground truth', description: 'Published by the simulator: which failure or sensor fault it injected into which machine, and when, so that a run can be scored.', schema: GroundTruth, publisher: 'simulator', qos: 1, examples: GROUND_TRUTH_EXAMPLES }
]

/** JSON Schema without TypeBox's internal symbols and `$id`s. */
function plain (schema: object): unknown {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => key === '$id' ? undefined : value))
}

/** Builds the AsyncAPI document as a plain object. */
export function buildAsyncApiDocument (): Record<string, unknown> {
  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}
  for (const c of CHANNELS) {
    const channelMessages: Record<string, unknown> = {}
    for (const m of [{ title: c.title, schema: c.schema, examples: c.examples }, ...(c.more ?? [])]) {
      const name = (m.schema as { $id?: string }).$id ?? c.kind
      messages[name] = {
        name,
        title: m.title,
        contentType: 'application/json',
        payload: plain(m.schema),
        examples: m.examples
      }
      channelMessages[name] = { $ref: `#/components/messages/${name}` }
    }
    channels[c.kind] = {
      address: `${DEFAULT_TOPIC_PREFIX}/{machineId}/${c.kind}`,
      title: c.title,
      description: c.description,
      parameters: { machineId: { $ref: '#/components/parameters/machineId' } },
      messages: channelMessages
    }
    operations[`publish${c.kind[0].toUpperCase()}${c.kind.slice(1)}`] = {
      action: 'send',
      summary: `The ${c.publisher} publishes ${c.title.toLowerCase()} messages.`,
      channel: { $ref: `#/channels/${c.kind}` },
      // QoS and retain are properties of the publish operation in the MQTT binding 0.2.0, not of the message.
      bindings: { mqtt: { qos: c.qos, retain: c.retained === true, bindingVersion: '0.2.0' } }
    }
  }
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'factory-edge MQTT API',
      version: '1.0.0',
      description: [
        'Topics and payloads of factory-edge. Every topic is `<prefix>/<machineId>/<kind>`; the prefix is `factory` unless',
        'configured otherwise (`--topic-prefix`). Payloads are UTF-8 JSON. This file is generated from the TypeBox schemas',
        'in shared/src/contract/schemas.ts that the services validate with (`npm run docs:asyncapi`).'
      ].join('\n')
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: { host: '127.0.0.1:1883', protocol: 'mqtt', description: 'The factory-edge broker (or Mosquitto) on the gateway' }
    },
    channels,
    operations,
    components: {
      parameters: { machineId: { description: `Machine id, one topic level matching ${MACHINE_ID_PATTERN}` } },
      messages
    }
  }
}

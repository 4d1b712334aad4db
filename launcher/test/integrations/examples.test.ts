import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import mqtt from 'mqtt'
import { parse } from 'smol-toml'
import { ANOMALY_EVENT_EXAMPLES, AnomalyEvent, EVENT_FIELDS, MEASUREMENTS, SENSOR_FIELDS, TAGS, TELEMETRY_EXAMPLES, allMachinesTopic, machineTopic, type AnomalyEvent as AnomalyEventType } from '@factory-edge/shared/contract'
import { startAedes } from '@factory-edge/test-support/aedes'

// Node-RED itself is too large for a devDependency; `npm run smoke:node-red` runs this flow in a real
// Node-RED. Here the flow is checked statically and its own rules are applied to events received from a
// real broker on the flow's subscription.
const FLOW = new URL('../../../../examples/node-red/anomalies-flow.json', import.meta.url)
const FLOW_CREDENTIALS = new URL('../../../../examples/node-red/anomalies-flow_cred.json', import.meta.url)
const TELEGRAF = new URL('../../../../examples/telegraf/factory-edge.conf', import.meta.url)

interface FlowNode {
  id: string
  type: string
  name?: string
  z?: string
  wires?: string[][]
  [key: string]: unknown
}
/** Node-RED's and Telegraf's reference to an environment variable. */
const env = (name: string): string => '$' + '{' + name + '}'

interface SwitchRule { t: string, v?: string, vt?: string }

const NODE_TYPES = new Set(['tab', 'mqtt-broker', 'mqtt in', 'json', 'switch', 'template', 'debug'])

async function loadFlow (): Promise<Map<string, FlowNode>> {
  const nodes = JSON.parse(await readFile(FLOW, 'utf8')) as FlowNode[]
  const byId = new Map(nodes.map((n) => [n.id, n]))
  assert.equal(byId.size, nodes.length, 'node ids are unique')
  return byId
}

function at (value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[key]), value)
}

/** Follows one message from the mqtt in node through the flow's json and switch nodes to a debug node. */
function route (flow: Map<string, FlowNode>, start: FlowNode, payload: string): string[] {
  const reached: string[] = []
  const walk = (node: FlowNode, msg: { payload: unknown }): void => {
    const next = (output: number, m: typeof msg): void => { for (const id of node.wires?.[output] ?? []) walk(flow.get(id) as FlowNode, m) }
    switch (node.type) {
      case 'mqtt in': return next(0, msg)
      case 'json': return next(0, { payload: JSON.parse(msg.payload as string) })
      case 'template': return next(0, msg)
      case 'debug': reached.push(node.name as string); return
      case 'switch': {
        assert.equal(node.checkall, 'false', `${node.name as string}: first matching rule only`)
        const value = at(msg, node.property as string)
        const rules = node.rules as SwitchRule[]
        const output = rules.findIndex((r) => r.t === 'else' || (r.t === 'eq' && r.vt === 'str' && value === r.v))
        if (output !== -1) next(output, msg)
        return
      }
      default: assert.fail(`no routing for ${node.type}`)
    }
  }
  walk(start, { payload })
  return reached
}

test('the Node-RED flow: known core nodes, wiring to existing nodes, the anomalies subscription at QoS 1, the broker from env vars', async () => {
  const flow = await loadFlow()
  for (const node of flow.values()) {
    assert.ok(NODE_TYPES.has(node.type), `${node.id}: ${node.type} is a core node used on purpose`)
    for (const output of node.wires ?? []) for (const id of output) assert.ok(flow.has(id), `${node.id} is wired to ${id}, which exists`)
    if (node.type === 'switch') assert.equal((node.rules as SwitchRule[]).length, node.outputs, `${node.name as string}: one output per rule`)
  }
  const inputs = [...flow.values()].filter((n) => n.type === 'mqtt in')
  assert.equal(inputs.length, 1)
  assert.equal(inputs[0].topic, allMachinesTopic('anomalies'))
  assert.equal(inputs[0].qos, '1')
  const broker = flow.get(inputs[0].broker as string)
  assert.equal(broker?.type, 'mqtt-broker')
  assert.equal(broker.broker, env('MQTT_HOST'))
  assert.equal(broker.port, env('MQTT_PORT'))
  const credentials = JSON.parse(await readFile(FLOW_CREDENTIALS, 'utf8')) as Record<string, unknown>
  assert.deepEqual(credentials, { [broker.id]: { user: env('MQTT_USER'), password: env('MQTT_PASSWORD') } })
  // Every {{payload.x}} a notification text names is a property of the AnomalyEvent schema.
  for (const node of flow.values()) {
    if (node.type !== 'template') continue
    const names = [...(node.template as string).matchAll(/\{\{payload\.(\w+)/g)].map((m) => m[1])
    assert.ok(names.length > 0)
    for (const name of names) assert.ok(name in AnomalyEvent.properties, `${node.name as string}: ${name} is in AnomalyEvent`)
  }
})

test('the Node-RED flow\'s rules send each event received from a real broker on its subscription to the right notification', async (t) => {
  const flow = await loadFlow()
  const input = [...flow.values()].find((n) => n.type === 'mqtt in') as FlowNode
  const broker = await startAedes()
  t.after(() => broker.close())
  const subscriber = await mqtt.connectAsync(broker.url)
  const publisher = await mqtt.connectAsync(broker.url)
  t.after(async () => { await subscriber.endAsync(); await publisher.endAsync() })
  const received: Array<{ topic: string, qos: number, payload: string }> = []
  subscriber.on('message', (topic, payload, packet) => received.push({ topic, qos: packet.qos, payload: String(payload) }))
  await subscriber.subscribeAsync(input.topic as string, { qos: Number(input.qos) as 1 })

  const sensorRaised = ANOMALY_EVENT_EXAMPLES.find((e) => e.payload.kind === 'sensor_fault')?.payload as AnomalyEventType
  const processRaised = ANOMALY_EVENT_EXAMPLES[0].payload
  const { kind: _absent, ...legacyProcess } = processRaised
  const cases: Array<[AnomalyEventType, string]> = [
    ...ANOMALY_EVENT_EXAMPLES.map((e): [AnomalyEventType, string] => [e.payload, `${e.payload.kind === 'sensor_fault' ? 'Sensor fault' : 'Process anomaly'} ${e.payload.state}`]),
    [{ ...sensorRaised, state: 'cleared' }, 'Sensor fault cleared'],
    // Detectors from before sensor-fault detection send no kind: a process anomaly.
    [{ ...legacyProcess, machineId: 'machine-1' }, 'Process anomaly raised']
  ]
  for (const [event] of cases) await publisher.publishAsync(machineTopic('anomalies', event.machineId), JSON.stringify(event), { qos: 1 })
  const deadline = Date.now() + 5000
  while (received.length < cases.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(received.length, cases.length)
  received.forEach((message, i) => {
    assert.equal(message.topic, machineTopic('anomalies', cases[i][0].machineId))
    assert.equal(message.qos, 1)
    assert.deepEqual(route(flow, input, message.payload), [cases[i][1]])
  })
})

interface JsonPath { path: string, rename?: string, type?: string, optional?: boolean }
interface Consumer {
  servers: string[]
  topics: string[]
  qos: number
  topic_tag: string
  data_format: string
  topic_parsing: Array<{ topic: string, tags: string }>
  json_v2: Array<{ measurement_name: string, timestamp_path: string, timestamp_format: string, tag?: JsonPath[], field: JsonPath[] }>
}

test('the Telegraf snippet reads both topics at their QoS, tags the machine from the topic and writes the detector\'s measurement, tag and field names', async () => {
  // Through JSON: smol-toml makes null-prototype tables, which deepEqual tells from object literals.
  const config = JSON.parse(JSON.stringify(parse(await readFile(TELEGRAF, 'utf8')))) as { inputs: { mqtt_consumer: Consumer[] }, outputs: { influxdb_v2: Array<Record<string, unknown>> } }
  const consumers = config.inputs.mqtt_consumer
  assert.deepEqual(consumers.map((c) => c.topics), [[allMachinesTopic('anomalies')], [allMachinesTopic('telemetry')]])
  for (const c of consumers) {
    assert.equal(c.qos, 1)
    assert.equal(c.data_format, 'json_v2')
    assert.equal(c.topic_tag, '')
    assert.deepEqual(c.topic_parsing, [{ topic: c.topics[0], tags: `_/${TAGS.machine}/_` }])
    assert.equal(c.topics[0].split('/')[1], '+', 'the machine is the wildcard level')
    assert.equal(c.json_v2.length, 1)
    assert.equal(c.json_v2[0].timestamp_path, 'ts')
    assert.equal(c.json_v2[0].timestamp_format, 'unix_ms')
  }
  const name = (p: JsonPath): string => p.rename ?? p.path

  const events = consumers[0].json_v2[0]
  assert.equal(events.measurement_name, MEASUREMENTS.event)
  assert.deepEqual((events.tag ?? []).map(name), [TAGS.modelVersion, TAGS.state, TAGS.severity, TAGS.kind])
  assert.deepEqual(events.field.map(name), [...EVENT_FIELDS, 'signal'])
  for (const p of [...(events.tag ?? []), ...events.field]) {
    assert.ok(p.path.split('.')[0] in AnomalyEvent.properties, `${p.path} is in AnomalyEvent`)
    // A path that is not optional must be in every example event, or Telegraf drops the message.
    for (const e of ANOMALY_EVENT_EXAMPLES) if (p.optional !== true) assert.notEqual(at(e.payload, p.path), undefined, `${p.path} in ${e.name}`)
  }
  assert.equal(at(ANOMALY_EVENT_EXAMPLES[0].payload, 'features.0.name'), ANOMALY_EVENT_EXAMPLES[0].payload.features[0].name)

  const telemetry = consumers[1].json_v2[0]
  assert.equal(telemetry.measurement_name, MEASUREMENTS.telemetry)
  assert.deepEqual(telemetry.field.map(name), [...SENSOR_FIELDS])
  for (const p of telemetry.field) assert.equal(typeof at(TELEMETRY_EXAMPLES[0].payload, p.path), 'number')

  assert.deepEqual(config.outputs.influxdb_v2, [{ urls: [env('INFLUX_URL')], token: env('INFLUX_TOKEN'), organization: env('INFLUX_ORG'), bucket: env('INFLUX_BUCKET') }])
})

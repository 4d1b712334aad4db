import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { Parser, DiagnosticSeverity } from '@asyncapi/parser'
import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import { buildAsyncApiDocument } from '../../src/contract/asyncapi.js'
import { AnomalyEvent, GroundTruth, MachineState, MachineStatus, RejectedMessage, Telemetry } from '../../src/contract/schemas.js'
import { ANOMALY_EVENT_EXAMPLES, GROUND_TRUTH_EXAMPLES, MACHINE_STATE_EXAMPLES, MACHINE_STATUS_EXAMPLES, PROCESS_ANOMALY_EXAMPLE, REJECTED_MESSAGE_EXAMPLES, TELEMETRY_EXAMPLES } from '../../src/contract/examples.js'

const committedUrl = new URL('../../../../docs/asyncapi.yaml', import.meta.url)

test('docs/asyncapi.yaml is up to date with the schemas (npm run docs:asyncapi)', () => {
  const committed = parse(readFileSync(committedUrl, 'utf8')) as unknown
  assert.deepEqual(committed, JSON.parse(JSON.stringify(buildAsyncApiDocument())))
})

test('the official AsyncAPI parser reads docs/asyncapi.yaml without an error, warning or hint', async () => {
  const { document, diagnostics } = await new Parser().parse(readFileSync(committedUrl, 'utf8'))
  const reported = diagnostics.map((d) => `${DiagnosticSeverity[d.severity]} ${d.code} at ${d.path.join('.')}: ${d.message}`)
  assert.deepEqual(reported, [])
  assert.ok(document !== undefined)
  // QoS and retain are read where the MQTT binding defines them: on the operation.
  const state = document.operations().get('publishState')
  assert.deepEqual(state?.bindings().get('mqtt')?.value(), { qos: 1, retain: true })
  assert.equal(document.messages().get('AnomalyEvent')?.examples().length, ANOMALY_EVENT_EXAMPLES.length)
})

test('every example payload is valid under its message schema', () => {
  const sets: Array<[TSchema, Array<{ name: string, payload: unknown }>]> = [
    [Telemetry, TELEMETRY_EXAMPLES], [AnomalyEvent, ANOMALY_EVENT_EXAMPLES], [MachineState, MACHINE_STATE_EXAMPLES],
    [MachineStatus, MACHINE_STATUS_EXAMPLES], [RejectedMessage, REJECTED_MESSAGE_EXAMPLES], [GroundTruth, GROUND_TRUTH_EXAMPLES]
  ]
  for (const [schema, examples] of sets) {
    assert.ok(examples.length > 0)
    for (const e of examples) assert.deepEqual([...Value.Errors(schema, e.payload)].map((x) => x.message), [], `${e.name}`)
  }
})

test("the README's anomaly event is the contract's example", () => {
  const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8')
  const block = /subscriber to `factory\/\+\/anomalies` receives it:\n\n```json\n([\s\S]*?)\n```/.exec(readme)
  assert.ok(block !== null, 'README has the anomaly event example')
  assert.deepEqual(JSON.parse(block[1]), PROCESS_ANOMALY_EXAMPLE.payload)
})

test('every channel has an address with the machineId parameter and a message with a payload schema', () => {
  const doc = buildAsyncApiDocument() as { channels: Record<string, { address: string, messages: Record<string, unknown> }>, components: { messages: Record<string, { payload: { type: string } }> } }
  assert.ok(Object.keys(doc.channels).includes('anomalies'))
  for (const channel of Object.values(doc.channels)) {
    assert.match(channel.address, /^factory\/\{machineId\}\/[a-z]+$/)
    for (const name of Object.keys(channel.messages)) assert.equal(doc.components.messages[name].payload.type, 'object')
  }
})

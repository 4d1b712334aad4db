import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { buildAsyncApiDocument } from '../../src/contract/asyncapi.js'

test('docs/asyncapi.yaml is up to date with the schemas (npm run docs:asyncapi)', () => {
  const committed = parse(readFileSync(new URL('../../../../docs/asyncapi.yaml', import.meta.url), 'utf8')) as unknown
  assert.deepEqual(committed, JSON.parse(JSON.stringify(buildAsyncApiDocument())))
})

test('every channel has an address with the machineId parameter and a message with a payload schema', () => {
  const doc = buildAsyncApiDocument() as { channels: Record<string, { address: string, messages: Record<string, unknown> }>, components: { messages: Record<string, { payload: { type: string } }> } }
  assert.ok(Object.keys(doc.channels).includes('anomalies'))
  for (const channel of Object.values(doc.channels)) {
    assert.match(channel.address, /^factory\/\{machineId\}\/[a-z]+$/)
    for (const name of Object.keys(channel.messages)) assert.equal(doc.components.messages[name].payload.type, 'object')
  }
})

import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { DETECTOR_FIELDS, EVENT_FIELDS, MEASUREMENTS, SCORE_FIELDS, TAGS, SENSOR_FIELDS } from '@factory-edge/shared/contract'
import { TELEGRAF_MEASUREMENT, telegrafSchema } from './telegraf-schema.js'

// The Grafana dashboard must query exactly the names the detector writes (shared/src/metrics/measurements.ts),
// and, in its Services row, the names Telegraf writes from the broker's and the detector's /metrics.

const DASHBOARD = 'deploy/grafana/dashboards/factory-edge.json'

/** Fields and tags per measurement, as documented in measurements.ts. */
const SCHEMA: Record<string, { fields: readonly string[], tags: readonly string[] }> = {
  [MEASUREMENTS.telemetry]: { fields: SENSOR_FIELDS, tags: [TAGS.machine, TAGS.modelVersion] },
  [MEASUREMENTS.score]: { fields: SCORE_FIELDS, tags: [TAGS.machine, TAGS.modelVersion] },
  [MEASUREMENTS.event]: { fields: EVENT_FIELDS, tags: [TAGS.machine, TAGS.modelVersion, TAGS.state, TAGS.severity, TAGS.kind] },
  [MEASUREMENTS.detector]: { fields: DETECTOR_FIELDS, tags: [TAGS.detector] }
}

/** The tag values Telegraf's inputs set (service = factory-broker / edge-detector). */
let serviceTags = new Map<string, string[]>()
let fieldsByService = new Map<string, Set<string>>()
before(async () => {
  // From a real scrape of a running broker and detector, filtered as deploy/telegraf/telegraf.conf does.
  const telegraf = await telegrafSchema()
  SCHEMA[TELEGRAF_MEASUREMENT] = { fields: telegraf.fields, tags: telegraf.tags }
  serviceTags = telegraf.serviceTags
  fieldsByService = telegraf.fieldsByService
})

interface Reference { measurements: string[], fields: string[], tags: string[], columns: string[] }

/** Every measurement, field, tag and column name a Flux query refers to. */
function references (query: string): Reference {
  const all = (re: RegExp): string[] => [...query.matchAll(re)].map((m) => m[1])
  const lists = all(/(?:columns|rowKey|columnKey):\s*\[([^\]]*)\]/g).flatMap((list) => [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]))
  return {
    measurements: all(/r\._measurement\s*==\s*"([^"]+)"/g),
    fields: all(/r\._field\s*==\s*"([^"]+)"/g),
    tags: [...all(/\br\.([A-Za-z][A-Za-z0-9_]*)/g), ...all(/\btag:\s*"([^"]+)"/g)],
    columns: lists.filter((c) => !c.startsWith('_'))
  }
}

/** Problems of one query against the schema (empty when it only uses names the detector writes). */
function check (query: string): string[] {
  const ref = references(query)
  const problems: string[] = []
  if (ref.measurements.length === 0) problems.push('no r._measurement filter')
  const schemas = ref.measurements.map((m) => {
    if (SCHEMA[m] === undefined) problems.push(`unknown measurement ${m}`)
    return SCHEMA[m] ?? { fields: [], tags: [] }
  })
  const fields = new Set(schemas.flatMap((s) => s.fields))
  const tags = new Set(schemas.flatMap((s) => s.tags))
  for (const f of ref.fields) if (!fields.has(f)) problems.push(`field ${f} is not written to ${ref.measurements.join('/')}`)
  for (const t of ref.tags) if (!tags.has(t)) problems.push(`tag ${t} is not written to ${ref.measurements.join('/')}`)
  // After a pivot, fields become columns too.
  for (const c of ref.columns) if (!tags.has(c) && !fields.has(c)) problems.push(`column ${c} is neither a tag nor a field of ${ref.measurements.join('/')}`)
  return problems
}

interface Target { query?: string }
interface Panel { title: string, type: string, targets?: Target[], panels?: Panel[] }
interface Dashboard {
  panels: Panel[]
  templating: { list: Array<{ name: string, type: string, query?: string }> }
  annotations: { list: Array<{ name: string, target?: Target }> }
}

async function queries (): Promise<Array<{ where: string, query: string }>> {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard
  const out: Array<{ where: string, query: string }> = []
  for (const panel of dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])])) {
    for (const target of panel.targets ?? []) if (target.query !== undefined) out.push({ where: `panel "${panel.title}"`, query: target.query })
  }
  for (const variable of dashboard.templating.list) {
    // The bucket variable lists buckets, not points (checked on its own below).
    if (variable.type === 'query' && variable.query !== undefined && variable.name !== 'bucket') out.push({ where: `variable ${variable.name}`, query: variable.query })
  }
  for (const annotation of dashboard.annotations.list) {
    if (annotation.target?.query !== undefined) out.push({ where: `annotation "${annotation.name}"`, query: annotation.target.query })
  }
  return out
}

test('every query of the dashboard uses only measurements, fields and tags the detector (or Telegraf, from /metrics) writes', async () => {
  const all = await queries()
  assert.ok(all.length >= 10, `only ${all.length} queries found`)
  const problems = all.flatMap(({ where, query }) => check(query).map((p) => `${where}: ${p}`))
  assert.deepEqual(problems, [])
})

test('the Services row shows readings/s, rejections by reason, broker clients, spool size and write errors from Telegraf\'s measurement', async () => {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard
  const row = dashboard.panels.findIndex((p) => p.type === 'row' && p.title.startsWith('Services'))
  assert.notEqual(row, -1, 'no Services row')
  const rowPanels = dashboard.panels.slice(row + 1)
  const end = rowPanels.findIndex((p) => p.type === 'row')
  const panels = end === -1 ? rowPanels : rowPanels.slice(0, end)
  const used = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, query: t.query ?? '', ref: references(t.query ?? '') })))
  for (const { panel, ref } of used) assert.deepEqual(ref.measurements, [TELEGRAF_MEASUREMENT], `${panel} reads Telegraf's measurement`)
  const fields = new Set(used.flatMap((u) => u.ref.fields))
  for (const f of ['edge_detector_messages_total', 'edge_detector_rejected_total', 'factory_broker_clients_connected', 'edge_detector_spool_points', 'edge_detector_influx_failures_total']) {
    assert.ok(fields.has(f), `${f} is not shown`)
  }
  assert.ok(used.some((u) => u.ref.fields.includes('edge_detector_rejected_total') && u.ref.columns.includes('reason')), 'rejections are grouped by reason')
  // A service filter names a service Telegraf tags its points with, and that service has the fields queried.
  for (const { panel, query, ref } of used) {
    for (const m of query.matchAll(/r\.service\s*==\s*"([^"]+)"/g)) {
      assert.ok(serviceTags.get('service')?.includes(m[1]), `${panel}: no Telegraf input tags its points service=${m[1]}`)
      for (const f of ref.fields) assert.ok(fieldsByService.get(m[1])?.has(f), `${panel}: ${m[1]} has no field ${f}`)
    }
  }
})

test('the dashboard shows readings, score against threshold, anomaly annotations, message and rejection rates, spool size', async () => {
  const all = await queries()
  const used = all.map(({ query }) => references(query))
  const uses = (measurement: string, field: string): boolean => used.some((r) => r.measurements.includes(measurement) && r.fields.includes(field))
  for (const m of Object.values(MEASUREMENTS)) assert.ok(used.some((r) => r.measurements.includes(m)), `measurement ${m} not shown`)
  for (const f of ['temperature', 'rpm', 'torque', 'toolWear']) assert.ok(uses(MEASUREMENTS.telemetry, f), `reading ${f} not shown`)
  assert.ok(uses(MEASUREMENTS.score, 'score') && uses(MEASUREMENTS.score, 'threshold'))
  assert.ok(uses(MEASUREMENTS.detector, 'messages_in') && uses(MEASUREMENTS.detector, 'rejected') && uses(MEASUREMENTS.detector, 'spool_points'))
  const annotations = all.filter(({ where }) => where.startsWith('annotation'))
  assert.ok(annotations.some(({ query }) => references(query).measurements.includes(MEASUREMENTS.event)), 'anomaly events are not annotations')
})

test('the check catches a misspelled name (so the test above can fail)', () => {
  assert.deepEqual(check('|> filter(fn: (r) => r._measurement == "prometheus" and r._field == "edge_detector_rejected")'), ['field edge_detector_rejected is not written to prometheus'])
  assert.deepEqual(check('|> filter(fn: (r) => r._measurement == "prometheus" and r._field == "nodejs_heap_size_used_bytes")'), ['field nodejs_heap_size_used_bytes is not written to prometheus'], 'left out by fieldinclude')
  assert.deepEqual(check('from(bucket: "b") |> filter(fn: (r) => r._measurement == "telemetry" and r._field == "temprature")'), ['field temprature is not written to telemetry'])
  assert.deepEqual(check('|> filter(fn: (r) => r._measurement == "detector_stats") |> filter(fn: (r) => r.machine == "m1")'), ['tag machine is not written to detector_stats'])
  assert.deepEqual(check('|> filter(fn: (r) => r._measurement == "anomaly_scores")'), ['unknown measurement anomaly_scores'])
  assert.deepEqual(check('|> filter(fn: (r) => r._measurement == "anomaly_event") |> keep(columns: ["_time", "severty"])'), ['column severty is neither a tag nor a field of anomaly_event'])
})

test('the bucket follows the configured bucket: a variable listing the buckets the read-only token of the datasource can read', async () => {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard
  const bucket = dashboard.templating.list.find((v) => v.name === 'bucket')
  assert.equal(bucket?.type, 'query')
  assert.match(bucket?.query ?? '', /^buckets\(\)/)
  assert.match(bucket?.query ?? '', /r\.name !~ \/\^_\//, 'system buckets (_monitoring, _tasks) left out')
  const datasource = await readFile('deploy/grafana/provisioning/datasources/influxdb.yml', 'utf8')
  assert.match(datasource, /token: \$__file\{\/run\/influx-tokens\/grafana\.token\}/)
})

interface AlertRule { uid: string, title: string, condition: string, noDataState: string, data: Array<{ refId: string, datasourceUid: string, model: { query?: string, type?: string, expression?: string } }> }
interface Alerting {
  contactPoints: Array<{ name: string, receivers: Array<{ type: string, settings: { url?: string } }> }>
  policies: Array<{ receiver: string }>
  groups: Array<{ folder: string, rules: AlertRule[] }>
}

test('provisioned alert rules: a raised machine alert and a silent detector, on names the detector writes, routed to a contact point', async () => {
  const alerting = parse(await readFile('deploy/grafana/provisioning/alerting/factory-edge.yml', 'utf8')) as Alerting
  const datasource = parse(await readFile('deploy/grafana/provisioning/datasources/influxdb.yml', 'utf8')) as { datasources: Array<{ uid: string }> }
  const uids = new Set(datasource.datasources.map((d) => d.uid))
  const receivers = new Set(alerting.contactPoints.map((c) => c.name))
  assert.ok(alerting.policies.every((p) => receivers.has(p.receiver)), 'the policy routes to a provisioned contact point')
  assert.match(alerting.contactPoints[0].receivers[0].settings.url ?? '', /^\$ALERT_WEBHOOK_URL$/)
  const rules = alerting.groups.flatMap((g) => g.rules)
  assert.deepEqual(rules.map((r) => r.uid).sort(), ['factory-edge-detector-silent', 'factory-edge-machine-alert'])
  for (const rule of rules) {
    const refs = new Set(rule.data.map((d) => d.refId))
    assert.ok(refs.has(rule.condition), `${rule.title}: condition ${rule.condition} is one of its queries`)
    for (const d of rule.data) {
      if (d.datasourceUid === '__expr__') {
        assert.ok(d.model.expression !== undefined && refs.has(d.model.expression), `${rule.title}: ${d.refId} reads a query of the rule`)
        continue
      }
      assert.ok(uids.has(d.datasourceUid), `${rule.title}: datasource ${d.datasourceUid} is provisioned`)
      assert.deepEqual(check(d.model.query ?? ''), [], `${rule.title}: its query uses names the detector writes`)
    }
  }
  assert.equal(rules.find((r) => r.uid === 'factory-edge-detector-silent')?.noDataState, 'Alerting', 'no data at all is what the silent-detector rule is for')
  const raised = rules.find((r) => r.uid === 'factory-edge-machine-alert')
  assert.match(raised?.data[0].model.query ?? '', /r\.state == "raised"/)
  assert.match(raised?.data[0].model.query ?? '', /group\(columns: \["machine", "kind"\]\)/, 'one alert per machine and kind (process or sensor fault)')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import mqtt from 'mqtt'
import { Random } from '@factory-edge/shared/ml'
import { profilesFromValue } from '@factory-edge/shared/profiles'
import { createLogger } from '@factory-edge/shared/runtime'
import { launchBrowser, pageWithErrors, type Page } from '@factory-edge/test-support/browser'
import { anomalousReading, normalReading, payload } from '@factory-edge/test-support/readings'
import { eventually } from '@factory-edge/test-support/wait'
import { startDetector } from '../../src/index.js'
import { StaticAssets } from '../../src/web/static-assets.js'
import { brokerAndModel, quietLogger } from '../helpers/services.js'

interface Canvas { width: number, height: number, getContext: (kind: '2d') => { getImageData: (x: number, y: number, w: number, h: number) => { data: Uint8ClampedArray } } | null }

const MACHINES = ['mill-1', 'mill-2', 'lathe-1', 'lathe-2', 'press-1']

/** AI4I machines on the shared model, and pumps that learn their own normal from 200 readings. */
const PROFILES = profilesFromValue({
  profiles: {
    pump: {
      machines: 'pump-*',
      signals: { flow: { unit: 'm3/h', min: 0, max: 500 }, pressure: { unit: 'bar', min: 0, max: 40 } },
      features: { names: ['flow', 'pressure', 'flow.mean'], window: 5 },
      learn: { readings: 200 }
    },
    ai4i: { extends: 'ai4i', machines: '*' }
  }
}, 'web-view-profiles.yaml')

/**
 * Pixels of a page's first chart (the score): every painted one, or those in the alert colour (the
 * threshold line and the alert shading).
 */
async function chartPixels (page: Page, which: 'painted' | 'alert'): Promise<number> {
  return await page.locator('figure.chart canvas').first().evaluate((c, alertOnly) => {
    // Runs in the page; typed structurally, as the test's own build has no DOM types.
    const canvas = c as unknown as Canvas
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray()
    let n = 0
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] !== 0 && (!alertOnly || data[i] > data[i + 1] + 60)) n++
    return n
  }, which === 'alert')
}

test('web view in a real browser: machines listed, filtered and sorted, an alert raised and cleared, offline and learning machines, the machine page charts', async (t) => {
  const { broker, dir, modelPath } = await brokerAndModel(t)
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, profiles: PROFILES, httpPort: 0, logger: quietLogger(), alert: { k: 3, m: 5, cooldownMs: 0 } })
  t.after(() => detector.close())
  assert.ok(detector.webUrl?.endsWith('/ui/'), 'the web view is on by default')

  // The browser starts first: on a loaded machine its start can take longer than the silence after which
  // machines show as silent, and the first view must see them just after their readings.
  const browser = await launchBrowser()
  t.after(() => browser.close())
  const { page, errors } = await pageWithErrors(browser)

  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'web-view-publisher' })
  t.after(() => publisher.endAsync())
  const random = new Random(5)
  const start = Date.now() - 600_000
  const seqs = new Map<string, number>()
  const publish = async (id: string, anomalous: boolean): Promise<void> => {
    const seq = seqs.get(id) ?? 0
    seqs.set(id, seq + 1)
    const r = anomalous ? anomalousReading(id, seq, start + seq * 1000) : normalReading(id, seq, start + seq * 1000, random)
    await publisher.publishAsync(`factory/${id}/telemetry`, payload(r), { qos: 1 })
  }
  for (let i = 0; i < 20; i++) {
    for (const id of MACHINES) await publish(id, false)
    await publisher.publishAsync('factory/pump-1/telemetry', payload({ machineId: 'pump-1', ts: start + i * 1000, seq: i, flow: 200 + random.uniform(-2, 2), pressure: 8 + random.uniform(-0.1, 0.1) }), { qos: 1 })
  }
  // Two payloads mill-2 cannot have sent: they are rejected, by reason.
  const bad = { ...normalReading('mill-2', 1000, start, random) } as Record<string, unknown>
  await publisher.publishAsync('factory/mill-2/telemetry', payload({ ...bad, rpm: 99_999 }), { qos: 1 })
  delete bad.torque
  await publisher.publishAsync('factory/mill-2/telemetry', payload(bad), { qos: 1 })
  await eventually(() => detector.stats().scored === 20 * MACHINES.length && detector.stats().rejected === 2, 10_000, 'the first readings scored and the bad ones rejected')

  // Screenshots go to the test's temporary folder, or to SCREENSHOT_DIR to keep them.
  const shots = process.env.SCREENSHOT_DIR ?? dir
  await page.goto(detector.webUrl as string)
  await page.locator('tbody tr').nth(MACHINES.length).waitFor({ timeout: 10_000 })
  assert.equal(await page.locator('tbody tr').count(), MACHINES.length + 1)
  assert.match(await page.locator('.counts').textContent() ?? '', /6 machines: 1 learning, 5 normal/)
  assert.equal(await page.locator('tbody tr[data-id="mill-2"] .state').getAttribute('aria-label'), 'state: normal')
  assert.match(await page.locator('tbody tr[data-id="pump-1"] td.num').textContent() ?? '', /^learning, [1-9]\d?% done$/, 'a learning machine shows its progress')
  assert.match(await page.locator('tbody tr[data-id="mill-1"] td.num').textContent() ?? '', /^0\.\d{3} \/ 0\.\d{3}$/, 'alert score against the machine\'s threshold')

  // The system panel: rejects by reason and the broker link.
  const system = await page.locator('dl.system').textContent() ?? ''
  assert.match(system, /Rejected.*1 out_of_range/)
  assert.match(system, /1 missing_field/)
  assert.match(system, /Broker\s*connected/)

  // Filter by id, then by state.
  await page.locator('input[name=filter]').fill('lathe')
  assert.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { id: string } }).dataset.id)), ['lathe-1', 'lathe-2'])
  assert.match(await page.locator('.counts').textContent() ?? '', /\(2 shown\)/)
  await page.locator('input[name=filter]').fill('')
  await page.locator('select[name=state]').selectOption('learning')
  assert.equal(await page.locator('tbody tr').count(), 1)
  await page.locator('select[name=state]').selectOption('')

  // A publisher's last will: the machine shows as offline at once, not only after the silence.
  await publisher.publishAsync('factory/press-1/status', JSON.stringify({ machineId: 'press-1', status: 'offline', ts: Date.now() }), { qos: 1, retain: true })
  await page.locator('tbody tr[data-id="press-1"] .state.offline').waitFor({ timeout: 5000 })

  // A failure of mill-2: the alert reaches the open page through the event stream.
  const injected = Date.now()
  for (let i = 0; i < 8; i++) await publish('mill-2', true)
  const raised = page.locator('ol.alerts li', { hasText: 'mill-2' }).filter({ has: page.locator('.what.raised') })
  await raised.first().waitFor({ timeout: 10_000 })
  const raisedAfterMs = Date.now() - injected
  assert.ok(raisedAfterMs < 5000, `the raised alert showed ${raisedAfterMs} ms after the failure`)
  await page.locator('tbody tr[data-id="mill-2"] .state.anomalous').waitFor({ timeout: 5000 })
  assert.match(await raised.first().textContent() ?? '', /driven by \w+/, 'the alert names the features that drove it')
  // Sorted by how far over its threshold: the failing machine first.
  await page.locator('select[name=sort]').selectOption('score')
  assert.equal(await page.locator('tbody tr').first().getAttribute('data-id'), 'mill-2')
  await page.locator('select[name=sort]').selectOption('state')
  await page.screenshot({ path: join(shots, 'fleet-raised.png'), fullPage: true })

  // Healthy again: the clearing shows too.
  for (let i = 0; i < 60 && detector.stats().cleared === 0; i++) await publish('mill-2', false)
  assert.equal(detector.stats().cleared, 1, 'the detector cleared the alert')
  await page.locator('ol.alerts li .what.cleared').first().waitFor({ timeout: 10_000 })
  await page.locator('tbody tr[data-id="mill-2"] .state.normal').waitFor({ timeout: 5000 })

  // Keyboard: the machine's link is reachable and opens its page.
  await page.locator('tbody tr[data-id="mill-2"] a').focus()
  await page.keyboard.press('Enter')
  await page.waitForURL(/#\/machine\/mill-2$/)
  await page.locator('figure.chart canvas').nth(6).waitFor({ timeout: 10_000 })
  const charts = await page.locator('figure.chart').count()
  assert.equal(charts, 7, 'the score and the six signals')
  const inked = await chartPixels(page, 'painted')
  assert.ok(inked > 500, `the score chart is drawn (${inked} painted pixels)`)
  const shadedInk = await chartPixels(page, 'alert')
  await page.locator('.event table tbody tr').first().waitFor({ timeout: 5000 })
  const model = await page.locator('.model').textContent() ?? ''
  assert.match(model, /Version/)
  assert.match(model, /Learned\s*\S+/, 'when the model was learned')
  const rejected = await page.locator('.rejected').textContent() ?? ''
  assert.match(rejected, /out_of_range\s*1/)
  assert.match(rejected, /missing_field\s*1/)
  await page.screenshot({ path: join(shots, 'machine-mill-2.png'), fullPage: true })

  // The alert period is shaded: mill-2's score chart carries far more of the alert colour than that of
  // mill-1, which only has the threshold line.
  await page.goto(`${detector.webUrl as string}#/machine/mill-1`)
  await page.locator('figure.chart canvas').nth(6).waitFor({ timeout: 10_000 })
  const lineInk = await chartPixels(page, 'alert')
  t.diagnostic(`alert colour: ${shadedInk} pixels with the alert shaded, ${lineInk} with the threshold line only`)
  assert.ok(shadedInk > lineInk + 1000, `alert colour: ${shadedInk} pixels with the alert shaded, ${lineInk} with the threshold line only`)

  for (const shot of ['fleet-raised.png', 'machine-mill-2.png']) assert.ok(statSync(join(shots, shot)).size > 10_000, `${shot} written`)
  assert.deepEqual(errors, [], 'no console errors')
})

test('the page\'s files are small: at most 200 KB gzipped, uPlot included', () => {
  const bytes = new StaticAssets().gzippedBytes
  assert.ok(bytes > 20_000 && bytes <= 200 * 1024, `${bytes} bytes gzipped`)
})

test('web view beyond loopback: a token is required and accepted as cookie, bearer or basic-auth password', async (t) => {
  const { broker, modelPath } = await brokerAndModel(t)
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, httpPort: 0, httpHost: '127.0.0.1', ui: { token: 's3cret-token' }, logger: quietLogger() })
  t.after(() => detector.close())
  const base = detector.httpUrl as string
  const refused = await fetch(`${base}/ui/api/fleet`)
  assert.equal(refused.status, 401)
  assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic /)
  assert.equal((await fetch(`${base}/ui/api/fleet`, { headers: { authorization: 'Bearer wrong' } })).status, 401)
  assert.equal((await fetch(`${base}/ui/api/fleet`, { headers: { authorization: 'Bearer s3cret-token' } })).status, 200)
  const basic = Buffer.from('anyone:s3cret-token').toString('base64')
  assert.equal((await fetch(`${base}/ui/api/fleet`, { headers: { authorization: `Basic ${basic}` } })).status, 200)
  const once = await fetch(`${base}/ui/?token=s3cret-token`, { redirect: 'manual' })
  assert.equal(once.status, 303)
  assert.equal(once.headers.get('location'), '/ui/')
  const cookie = (once.headers.get('set-cookie') ?? '').split(';')[0]
  assert.equal((await fetch(`${base}/ui/api/fleet`, { headers: { cookie } })).status, 200)
  assert.equal((await fetch(`${base}/healthz`)).status, 200, '/healthz stays open for probes')
})

test('web view on a non-loopback address without a token: one is generated, logged with the address, and required', async (t) => {
  const { broker, modelPath } = await brokerAndModel(t)
  const lines: string[] = []
  const stream = new PassThrough()
  stream.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')))
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, httpPort: 0, httpHost: '0.0.0.0', logger: createLogger('test', { level: 'info', format: 'json', destination: stream }) })
  t.after(() => detector.close())
  await eventually(() => lines.some((l) => l.includes('live web view')), 5000, 'the start log of the web view')
  const logged = JSON.parse(lines.find((l) => l.includes('live web view')) as string) as { level: number, url: string, msg: string }
  assert.equal(logged.level, 40, 'a warning')
  assert.match(logged.msg, /reachable from other computers/)
  const token = new URL(logged.url).searchParams.get('token') ?? ''
  assert.ok(token.length >= 20, `a generated token: ${token}`)
  const port = new URL(detector.httpUrl as string).port
  assert.equal((await fetch(`http://127.0.0.1:${port}/ui/api/fleet`)).status, 401)
  assert.equal((await fetch(`http://127.0.0.1:${port}/ui/api/fleet`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
})

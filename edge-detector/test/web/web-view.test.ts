import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import mqtt from 'mqtt'
import { Random } from '@factory-edge/shared/ml'
import { createLogger } from '@factory-edge/shared/runtime'
import { launchBrowser, pageWithErrors } from '@factory-edge/test-support/browser'
import { anomalousReading, normalReading, payload } from '@factory-edge/test-support/readings'
import { eventually } from '@factory-edge/test-support/wait'
import { startDetector } from '../../src/index.js'
import { brokerAndModel, quietLogger } from '../helpers/services.js'

interface Canvas { width: number, height: number, getContext: (kind: '2d') => { getImageData: (x: number, y: number, w: number, h: number) => { data: Uint8ClampedArray } } | null }

const MACHINES = ['mill-1', 'mill-2', 'lathe-1', 'lathe-2', 'press-1']

test('web view in a real browser: machines listed, an alert raised and cleared, the machine page charts', async (t) => {
  const { broker, dir, modelPath } = await brokerAndModel(t)
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, httpPort: 0, logger: quietLogger(), alert: { k: 3, m: 5, cooldownMs: 0 } })
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
  for (let i = 0; i < 20; i++) for (const id of MACHINES) await publish(id, false)
  await eventually(() => detector.stats().scored === 20 * MACHINES.length, 10_000, 'the first readings scored')

  // Screenshots go to the test's temporary folder, or to SCREENSHOT_DIR to keep them.
  const shots = process.env.SCREENSHOT_DIR ?? dir
  await page.goto(detector.webUrl as string)
  await page.locator('tbody tr').nth(MACHINES.length - 1).waitFor({ timeout: 10_000 })
  assert.equal(await page.locator('tbody tr').count(), MACHINES.length)
  assert.match(await page.locator('.counts').textContent() ?? '', /5 machines: 5 normal/)
  assert.equal(await page.locator('tbody tr[data-id="mill-2"] .state').getAttribute('aria-label'), 'state: normal')

  // A failure of mill-2: the alert reaches the open page through the event stream.
  const injected = Date.now()
  for (let i = 0; i < 8; i++) await publish('mill-2', true)
  const raised = page.locator('ol.alerts li', { hasText: 'mill-2' }).filter({ has: page.locator('.what.raised') })
  await raised.first().waitFor({ timeout: 10_000 })
  const raisedAfterMs = Date.now() - injected
  assert.ok(raisedAfterMs < 5000, `the raised alert showed ${raisedAfterMs} ms after the failure`)
  await page.locator('tbody tr[data-id="mill-2"] .state.anomalous').waitFor({ timeout: 5000 })
  assert.match(await raised.first().textContent() ?? '', /driven by \w+/, 'the alert names the features that drove it')
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
  const inked = await page.locator('figure.chart canvas').first().evaluate((c) => {
    // Runs in the page; typed structurally, as the test's own build has no DOM types.
    const canvas = c as unknown as Canvas
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray()
    let n = 0
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++
    return n
  })
  assert.ok(inked > 500, `the score chart is drawn (${inked} painted pixels)`)
  await page.locator('.event table tbody tr').first().waitFor({ timeout: 5000 })
  assert.match(await page.locator('.model').textContent() ?? '', /Version/)
  await page.screenshot({ path: join(shots, 'machine-mill-2.png'), fullPage: true })

  assert.deepEqual(errors, [], 'no console errors')
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

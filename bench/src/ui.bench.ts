/**
 * Web view figures (issue 16): factory-broker and the edge-detector service as processes, the page in
 * Debian's headless chromium (CHROMIUM_PATH to use another).
 * - ui.first_paint_ms: with 1,000 machines tracked (and publishing, 1 reading/s each), from the page's
 *   navigation start to the 1,000 machines listed in its grid; median of 3 loads, each in a fresh
 *   browser context (nothing cached);
 * - ui.sse_bytes_per_s_1000_machines: bytes per second of the event stream (/ui/events) over 5 s while
 *   the same 1,000 machines publish;
 * - ui.assets_kb_gzipped: what a first visit downloads (page, scripts, styles, uPlot), gzipped;
 * - ui.e2e_msgs_per_s_page_open and ui.e2e_msgs_per_s_no_page: the detector's throughput measured as
 *   detector.e2e_msgs_per_s is, with one page open on the web view and without, two alternating rounds
 *   each (best of each reported), and ui.e2e_page_open_ratio, their ratio (target ≥ 0.9).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { launchBrowser } from '@factory-edge/test-support/browser'
import type { BenchContext } from './harness.js'
import { writeBenchModel } from './detector/fixtures.js'
import { counter, detectorThroughput, publisherArgs, runJson, startBrokerProcess, startDetectorProcess, stop, waitFor, wipeSession, type PublisherResult } from './detector/processes.js'

const MACHINES = 1000

export default async function (ctx: BenchContext): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ui-bench-'))
  const modelPath = join(dir, 'model.json')
  await writeBenchModel(modelPath)
  const broker = await startBrokerProcess()
  const browser = await launchBrowser()
  try {
    await pageFigures(ctx, browser, broker.port, modelPath, dir)
    await throughputFigures(ctx, browser, broker.port, modelPath, dir)
  } finally {
    await browser.close()
    await stop(broker.child)
    await rm(dir, { recursive: true, force: true })
  }
}

async function pageFigures (ctx: BenchContext, browser: Browser, brokerPort: number, modelPath: string, dir: string): Promise<void> {
  const detector = await startDetectorProcess(brokerPort, modelPath, dir)
  const seconds = 30
  // 1 reading/s per machine for the whole measurement.
  const publishing = runJson<PublisherResult>(publisherArgs(brokerPort, { machines: MACHINES, perMachine: seconds, rate: MACHINES, observe: false, flipEvery: 0 }), 120_000)
  try {
    await waitFor(async () => await counter(detector.http, 'edge_detector_machines') >= MACHINES, 30_000, 'every machine tracked')
    const url = `${detector.http}/ui/`
    const loads: number[] = []
    for (let i = 0; i < 3; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
      const page = await context.newPage()
      await page.goto(url, { waitUntil: 'commit' })
      // An expression evaluated in the page (this build has no DOM types): the page's clock once the rows are there.
      const listed = await page.waitForFunction(`document.querySelectorAll('tbody tr').length >= ${MACHINES} ? performance.now() : false`, undefined, { polling: 'raf', timeout: 20_000 })
      loads.push(await listed.jsonValue() as number)
      await context.close()
    }
    loads.sort((a, b) => a - b)
    ctx.report('ui.first_paint_ms', loads[1], 'ms')

    const res = await fetch(`${detector.http}/ui/events`)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const started = Date.now()
    let bytes = 0
    while (Date.now() - started < 5000) {
      const timer = setTimeout(() => { void reader.cancel() }, 5000 - (Date.now() - started))
      const { value, done } = await reader.read()
      clearTimeout(timer)
      if (done) break
      bytes += value.byteLength
    }
    await reader.cancel().catch(() => {})
    ctx.report('ui.sse_bytes_per_s_1000_machines', bytes / ((Date.now() - started) / 1000), 'B/s')

    // The files the page loads (not its data, nor the stream), each fetched again as a browser gets it: gzipped.
    const files: string[] = []
    const page = await browser.newPage()
    page.on('request', (r) => { if (!/\/ui\/(api|events)/.test(r.url())) files.push(r.url()) })
    await page.goto(url)
    await page.locator('tbody tr').first().waitFor({ timeout: 20_000 })
    await page.close()
    let gzipped = 0
    for (const file of files) gzipped += await gzippedSize(file)
    ctx.report('ui.assets_kb_gzipped', gzipped / 1024, 'KB')
  } finally {
    await stop(detector.child)
    await publishing.catch(() => undefined)
    await wipeSession(brokerPort, 'factory-edge-detector')
  }
}

function gzippedSize (url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      let n = 0
      res.on('data', (d: Buffer) => { n += d.length })
      res.on('end', () => resolve(n))
    }).on('error', reject)
  })
}

async function throughputFigures (ctx: BenchContext, browser: Browser, brokerPort: number, modelPath: string, dir: string): Promise<void> {
  const machines = 100
  const perMachine = ctx.quick ? 100 : 300
  const total = machines * perMachine
  const publish = async (): Promise<PublisherResult> => await runJson<PublisherResult>(publisherArgs(brokerPort, { machines, perMachine, rate: 0, observe: false, flipEvery: 0 }))
  const openPage = async (http: string): Promise<() => Promise<void>> => {
    const page = await browser.newPage()
    await page.goto(`${http}/ui/`)
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 10_000 })
    return async () => await page.close()
  }
  let bestWithout = 0
  let bestWith = 0
  for (let round = 0; round < 2; round++) {
    bestWithout = Math.max(bestWithout, (await detectorThroughput(brokerPort, modelPath, dir, total, publish)).msgsPerS)
    bestWith = Math.max(bestWith, (await detectorThroughput(brokerPort, modelPath, dir, total, publish, openPage)).msgsPerS)
  }
  ctx.report('ui.e2e_msgs_per_s_no_page', bestWithout, 'msg/s')
  ctx.report('ui.e2e_msgs_per_s_page_open', bestWith, 'msg/s')
  ctx.report('ui.e2e_page_open_ratio', bestWith / bestWithout, 'ratio')
}

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FleetFeed } from './fleet-feed.js'
import { StaticAssets } from './static-assets.js'
import type { WebAuth } from './web-auth.js'

export interface WebViewOptions {
  feed: FleetFeed
  auth: WebAuth
  /** Pages streaming at once; more are refused (503) so that the stream's total stays bounded. */
  maxClients: number
  /** Interval of the coarse clock that tells silent machines (ms). */
  clockMs: number
  now?: () => number
}

/**
 * The live web view on the detector's HTTP server: the page and its files, the fleet's first view
 * (`/ui/api/fleet`), a machine's page (`/ui/api/machine?id=`) and the event stream (`/ui/events`,
 * server-sent events), one frame per tick built once for every open page.
 */
export class WebView {
  private readonly assets = new StaticAssets()
  private readonly clients = new Set<ServerResponse>()
  private readonly timers: NodeJS.Timeout[] = []
  private readonly now: () => number
  /** Bytes written to event streams, all pages together. */
  bytesStreamed = 0

  constructor (private readonly o: WebViewOptions) {
    this.now = o.now ?? Date.now
  }

  get gzippedAssetBytes (): number {
    return this.assets.gzippedBytes
  }

  get streaming (): number {
    return this.clients.size
  }

  start (): void {
    const feed = this.o.feed
    this.timers.push(setInterval(() => feed.history.tick(this.now()), this.o.clockMs))
    this.timers.push(setInterval(() => this.broadcast(), feed.options.tickMs))
    for (const t of this.timers) t.unref()
  }

  close (): void {
    for (const t of this.timers) clearInterval(t)
    for (const res of this.clients) res.end()
    this.clients.clear()
  }

  /** The routes for the operations server: true when the path was the web view's. */
  readonly routes = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (path === '/' || path === '/ui') {
      res.writeHead(302, { location: '/ui/' }).end()
      return true
    }
    if (!path.startsWith('/ui/')) return false
    if (!this.o.auth.admit(req, res)) return true
    if (path === '/ui/api/fleet') return json(res, this.o.feed.snapshot(this.now()))
    if (path === '/ui/api/machine') {
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? ''
      const detail = this.o.feed.machine(id, this.now())
      if (detail === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`machine ${JSON.stringify(id)} is not tracked\n`)
        return true
      }
      return json(res, detail)
    }
    if (path === '/ui/events') return this.subscribe(req, res)
    return this.assets.serve(req, res, path)
  }

  private subscribe (req: IncomingMessage, res: ServerResponse): boolean {
    if (this.clients.size >= this.o.maxClients) {
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '10' }).end('too many open pages\n')
      return true
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' })
    if (req.method === 'HEAD') {
      res.end()
      return true
    }
    res.write('retry: 2000\n\n')
    this.clients.add(res)
    req.socket.setNoDelay(true)
    res.on('close', () => this.clients.delete(res))
    return true
  }

  private broadcast (): void {
    const feed = this.o.feed
    if (this.clients.size === 0) {
      // Nobody watching: the alerts are in the next page's first view, not in its stream.
      feed.alerts.takePending(() => true)
      return
    }
    const text = `data: ${feed.frame(this.now())}\n\n`
    const bytes = Buffer.byteLength(text)
    const backlog = 4 * feed.options.streamBytesPerS
    for (const res of this.clients) {
      // A page that cannot keep up is dropped rather than buffered: it reconnects and starts afresh.
      if (res.writableLength > backlog) {
        res.destroy()
        continue
      }
      res.write(text)
      this.bytesStreamed += bytes
    }
  }
}

function json (res: ServerResponse, body: unknown): boolean {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body))
  return true
}

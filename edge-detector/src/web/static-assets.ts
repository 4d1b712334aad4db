import { readdirSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/** The page's own files: edge-detector/ui, shipped with the package (from dist/src/web). */
export const UI_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url))

interface Asset { type: string, body: Buffer, gzipped: Buffer }

/**
 * The web view's files, read and gzipped once at start: the page (edge-detector/ui) under /ui/ and
 * uPlot, straight from its installed package (no copy, no build step), under /ui/vendor/.
 */
export class StaticAssets {
  private readonly files = new Map<string, Asset>()

  constructor (dir = UI_DIR) {
    for (const name of readdirSync(dir)) {
      if (TYPES[extname(name)] !== undefined) this.add(`/ui/${name}`, join(dir, name))
    }
    const require = createRequire(import.meta.url)
    const uplot = require.resolve('uplot/dist/uPlot.esm.js')
    this.add('/ui/vendor/uPlot.esm.js', uplot)
    this.add('/ui/vendor/uPlot.min.css', join(uplot, '../uPlot.min.css'))
    const index = this.files.get('/ui/index.html')
    if (index === undefined) throw new Error(`no index.html in ${dir}`)
    this.files.set('/ui/', index)
  }

  /** Bytes of every file once gzipped (what a first visit costs). */
  get gzippedBytes (): number {
    return [...new Set(this.files.values())].reduce((sum, a) => sum + a.gzipped.length, 0)
  }

  /** Serves `path` when it is one of the files. */
  serve (req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const asset = this.files.get(path)
    if (asset === undefined) return false
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    const headers: Record<string, string> = { 'content-type': asset.type, 'cache-control': 'no-cache', vary: 'accept-encoding', 'x-content-type-options': 'nosniff' }
    if (gzip) headers['content-encoding'] = 'gzip'
    res.writeHead(200, headers).end(gzip ? asset.gzipped : asset.body)
    return true
  }

  private add (path: string, file: string): void {
    const body = readFileSync(file)
    this.files.set(path, { type: TYPES[extname(file)], body, gzipped: gzipSync(body, { level: 9 }) })
  }
}

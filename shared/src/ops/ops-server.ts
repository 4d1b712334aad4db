import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { listen } from './listen.js'

export interface HealthReport {
  /** True when the service is doing its job; false answers 503. */
  ok: boolean
  [key: string]: unknown
}

export interface OpsServerOptions {
  host: string
  /** 0 picks a free port (see `url`). */
  port: number
  /** How the user sets the port, named when it cannot be used: e.g. `--http-port (env HTTP_PORT)`. */
  portSetting: string
  health: () => HealthReport
  registry: Registry
  /**
   * Further GET/HEAD routes (a web view): called for any other path; returns false when it does not
   * serve the path, which then answers 404.
   */
  routes?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean
}

export interface OpsServer {
  /** http://host:port actually bound. */
  readonly url: string
  /** Stops listening and ends open (keep-alive) connections. */
  close: () => Promise<void>
}

/**
 * `GET`/`HEAD` `/healthz` (200 or 503, the health report as JSON) and `/metrics` (the registry in the
 * Prometheus text format) on a small HTTP server. Rejects with a ListenError naming `portSetting`
 * when the port cannot be used.
 */
export async function startOpsServer (options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => { handle(req, res, options) })
  await listen(server, options.host, options.port, { what: 'HTTP endpoint (/healthz, /metrics)', setting: options.portSetting })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    }
  }
}

function handle (req: IncomingMessage, res: ServerResponse, options: OpsServerOptions): void {
  const { health, registry } = options
  const path = (req.url ?? '/').split('?')[0]
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n')
    return
  }
  if (path === '/healthz') {
    const report = health()
    res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report) + '\n')
    return
  }
  if (path === '/metrics') {
    registry.metrics().then(
      (text) => { res.writeHead(200, { 'content-type': registry.contentType }).end(text) },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${err instanceof Error ? err.message : String(err)}\n`)
      })
    return
  }
  if (options.routes?.(req, res, path) === true) return
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n')
}

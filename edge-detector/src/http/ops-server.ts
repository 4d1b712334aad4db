import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HealthReport {
  /** True when the detector is doing its job: connected to the broker with a model loaded. */
  ok: boolean
  [key: string]: unknown
}

export interface OpsEndpoints {
  health: () => HealthReport
  metrics: () => string
}

/** `/healthz` (200 or 503 with a JSON body) and `/metrics` (Prometheus text) on a small HTTP server. */
export async function startOpsServer (host: string, port: number, endpoints: OpsEndpoints): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    if (path === '/healthz') {
      const report = endpoints.health()
      res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report) + '\n')
      return
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(endpoints.metrics())
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return { server, url: `http://${shownHost}:${address.port}` }
}

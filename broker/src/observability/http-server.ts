import { createServer, type Server } from 'node:http'
import type { Aedes } from 'aedes'
import { formatMetrics, type BrokerMetrics } from './metrics.js'

/** `GET /healthz` (JSON, 503 once closing) and `GET /metrics` (Prometheus text) for one broker. */
export function createObservabilityServer (aedes: Aedes, metrics: BrokerMetrics): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n')
      return
    }
    if (path === '/healthz') {
      const healthy = !aedes.closed
      const body = JSON.stringify({
        status: healthy ? 'ok' : 'closing',
        brokerId: aedes.id,
        clients: aedes.connectedClients,
        uptimeSeconds: Math.round((Date.now() - metrics.startedAt) / 1000)
      })
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(body + '\n')
      return
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(formatMetrics(metrics, aedes.connectedClients))
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n')
  })
}

import { freePort } from './ports.js'
import { startServerProcess, type ExternalServer } from './server-process.js'
import { tempDir } from './temp-dir.js'

/** Debian's victoria-metrics on a free loopback port with a temporary data directory. */
export async function startVictoriaMetrics (): Promise<ExternalServer> {
  const dir = await tempDir('vm-')
  const port = await freePort()
  const args = [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir.dir}`, '-loggerLevel=ERROR', '-search.latencyOffset=0s', '-http.maxGracefulShutdownDuration=1s', '-search.disableCache']
  return await startServerProcess('victoria-metrics', '/usr/bin/victoria-metrics', args, port, `http://127.0.0.1:${port}`, dir)
}

/** Series exported from VictoriaMetrics as parsed JSON lines. */
export async function exportSeries (vmUrl: string, match: string): Promise<Array<{ metric: Record<string, string>, values: number[], timestamps: number[] }>> {
  // Recent writes sit in memory for a few seconds before they are searchable; this endpoint flushes them.
  await fetch(`${vmUrl}/internal/force_flush`)
  const res = await fetch(`${vmUrl}/api/v1/export?match[]=${encodeURIComponent(match)}`)
  if (!res.ok) throw new Error(`export failed: ${res.status} ${await res.text()}`)
  const text = await res.text()
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l))
}

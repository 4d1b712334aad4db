import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { startBroker } from '@factory-edge/broker'
import { startDetector } from '@factory-edge/edge-detector'
import { trainSynthetic } from '@factory-edge/edge-detector/training'
import { saveModel } from '@factory-edge/shared/ml'
import { createLogger } from '@factory-edge/shared/runtime'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { simulatedReadings } from '../../src/simulated-readings.js'

// What the stack's Telegraf (deploy/telegraf/telegraf.conf) writes to InfluxDB from the services'
// Prometheus /metrics: with metric_version = 2, one measurement "prometheus" whose fields are the sample
// names of /metrics (histograms as _bucket/_sum/_count, as printed) and whose tags are the labels, plus
// `url` and the tags the config adds. The names come from a real scrape of a running broker and detector.

export const TELEGRAF_CONF = 'deploy/telegraf/telegraf.conf'
export const TELEGRAF_MEASUREMENT = 'prometheus'

export interface PrometheusInput {
  urls: string[]
  metric_version?: number
  fieldinclude?: string[]
  tags?: Record<string, string>
}

export interface TelegrafConfig {
  agent?: Record<string, unknown>
  inputs: { prometheus: PrometheusInput[] }
  outputs: { influxdb_v2: Array<{ urls: string[], token: string, organization: string, bucket: string }> }
}

export async function readTelegrafConfig (): Promise<TelegrafConfig> {
  // Through JSON: smol-toml makes null-prototype tables, which deepEqual tells from object literals.
  return JSON.parse(JSON.stringify(parse(await readFile(TELEGRAF_CONF, 'utf8')))) as TelegrafConfig
}

/** Sample names and label names of a Prometheus text exposition. */
export function exposition (text: string): { samples: Set<string>, labels: Set<string> } {
  const samples = new Set<string>()
  const labels = new Set<string>()
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? \S+$/.exec(line)
    if (m === null) continue
    samples.add(m[1])
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(l[1])
  }
  return { samples, labels }
}

/** Telegraf's glob (`*` any run of characters, `?` one), as in fieldinclude. */
export function globMatches (glob: string, name: string): boolean {
  const re = new RegExp('^' + glob.split('').map((c) => c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('') + '$')
  return re.test(name)
}

/** /metrics of a running factory-broker and edge-detector, by the host name their URL has in compose. */
export async function scrapeServices (): Promise<Map<string, string>> {
  const dir = await tempDir('telegraf-schema-')
  const logger = createLogger('telegraf-schema', { level: 'warn', format: 'json', destination: process.stderr })
  const modelPath = join(dir.dir, 'model.json')
  const { model } = await trainSynthetic(3000, simulatedReadings, { seed: 3 })
  await saveModel(modelPath, model)
  const broker = await startBroker({ host: '127.0.0.1', port: 0, wsPort: null, httpPort: 0, allowAnonymous: true, logger })
  const detector = await startDetector({ brokerUrl: broker.url, modelPath, clientId: 'telegraf-schema', httpPort: 0, httpHost: '127.0.0.1', logger })
  try {
    const get = async (url: string): Promise<string> => {
      const response = await fetch(url)
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
      return await response.text()
    }
    return new Map([
      ['broker', await get(`http://127.0.0.1:${broker.httpPort as number}/metrics`)],
      ['edge-detector', await get(`${detector.httpUrl as string}/metrics`)]
    ])
  } finally {
    await detector.close()
    await broker.close()
    await dir.cleanup()
  }
}

/**
 * Fields and tags of the measurement Telegraf writes: for each input, the samples of the service its URL
 * names that pass its fieldinclude, the labels, `url` and the input's own tags.
 */
export async function telegrafSchema (): Promise<{ fields: string[], tags: string[], serviceTags: Map<string, string[]>, fieldsByService: Map<string, Set<string>> }> {
  const config = await readTelegrafConfig()
  const scrapes = await scrapeServices()
  const fields = new Set<string>()
  const tags = new Set<string>(['url'])
  const serviceTags = new Map<string, string[]>()
  /** Fields by the value of the input's `service` tag. */
  const fieldsByService = new Map<string, Set<string>>()
  for (const input of config.inputs.prometheus) {
    const own = new Set<string>()
    if (input.tags?.service !== undefined) fieldsByService.set(input.tags.service, own)
    for (const [key, value] of Object.entries(input.tags ?? {})) {
      tags.add(key)
      serviceTags.set(key, [...(serviceTags.get(key) ?? []), value])
    }
    for (const url of input.urls) {
      const text = scrapes.get(new URL(url).hostname)
      if (text === undefined) throw new Error(`${TELEGRAF_CONF} scrapes ${url}, which is neither the broker nor the detector`)
      const { samples, labels } = exposition(text)
      for (const s of samples) {
        if (input.fieldinclude !== undefined && !input.fieldinclude.some((g) => globMatches(g, s))) continue
        fields.add(s)
        own.add(s)
      }
      for (const l of labels) tags.add(l)
    }
  }
  return { fields: [...fields], tags: [...tags], serviceTags, fieldsByService }
}

import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { EnvHttpProxyAgent, fetch, type Response } from 'undici'
import { writeFileAtomic } from '@factory-edge/shared/ml'
import { DataError } from '@factory-edge/shared/data'
import { listZip, readZipEntry, ZipError } from './zip.js'

/** UCI Machine Learning Repository, data set 601 (AI4I 2020 Predictive Maintenance). */
export const AI4I_URL = 'https://archive.ics.uci.edu/static/public/601/ai4i+2020+predictive+maintenance+dataset.zip'
/**
 * SHA-256 of ai4i2020.csv as the UCI archive holds it (10,000 rows, with a byte-order mark). The
 * unpacked file is checked rather than the archive, whose bytes may change with re-packing.
 */
export const AI4I_SHA256 = '9841aaa04b716d41ce9501f42d9388de7f571566608945061d026f95853c0337'
export const AI4I_FILE = 'ai4i2020.csv'

export interface DownloadOptions {
  url?: string
  /** Expected SHA-256 (hex) of the CSV file; the download is refused when it differs. */
  sha256?: string
  /** Cache directory; the CSV is kept there as ai4i2020.csv. */
  dataDir?: string
  timeoutMs?: number
  /** Called with bytes received and the total when the server says it. */
  onProgress?: (bytes: number, total: number | undefined) => void
}

/**
 * Returns the path of the cached AI4I 2020 CSV, downloading it first when it is not cached (or the
 * cached copy does not match the SHA-256): fetch the archive (or a plain CSV), unpack ai4i2020.csv,
 * verify its SHA-256, and only then write the cache.
 */
export async function downloadAi4i (options: DownloadOptions = {}): Promise<{ path: string, cached: boolean }> {
  const path = join(options.dataDir ?? 'data', AI4I_FILE)
  const expected = (options.sha256 ?? AI4I_SHA256).toLowerCase()
  // A cached copy is checked too: a truncated or edited file is fetched again rather than trusted.
  const cached = await readFile(path).catch(() => undefined)
  if (cached !== undefined && sha256(cached) === expected) return { path, cached: true }
  const url = options.url ?? AI4I_URL
  const body = await fetchBytes(url, options)
  const csv = isZip(body) ? await unpackCsv(body, url) : body
  const actual = sha256(csv)
  if (actual !== expected) {
    throw new DataError(`downloaded ${AI4I_FILE} from ${url} has SHA-256 ${actual}, expected ${expected}: refusing to use it (pass --sha256 for a different file)`)
  }
  await writeFileAtomic(path, csv.toString('utf8'))
  return { path, cached: false }
}

function sha256 (data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function isZip (body: Buffer): boolean {
  return body.length >= 4 && body.readUInt32LE(0) === 0x04034b50
}

async function unpackCsv (zip: Buffer, url: string): Promise<Buffer> {
  try {
    const entries = await listZip(zip)
    const entry = entries.find((e) => basename(e.name).toLowerCase() === AI4I_FILE) ?? entries.find((e) => e.name.toLowerCase().endsWith('.csv'))
    if (entry === undefined) throw new ZipError(`no CSV file in the archive (it holds ${entries.map((e) => e.name).join(', ') || 'nothing'})`)
    return await readZipEntry(zip, entry)
  } catch (err) {
    if (err instanceof ZipError) throw new DataError(`archive from ${url}: ${err.message}`)
    throw err
  }
}

/** The proxy variables a download honours, as the user set them (for error messages). */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']

async function fetchBytes (url: string, options: DownloadOptions): Promise<Buffer> {
  // Node's built-in fetch ignores HTTP(S)_PROXY and NO_PROXY; plants often reach the internet only
  // through a proxy. undici's agent reads those variables (either case) when it is created.
  const dispatcher = new EnvHttpProxyAgent()
  try {
    return await fetchThrough(dispatcher, url, options)
  } finally {
    await dispatcher.close()
  }
}

async function fetchThrough (dispatcher: EnvHttpProxyAgent, url: string, options: DownloadOptions): Promise<Buffer> {
  let response: Response
  try {
    response = await fetch(url, { dispatcher, signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) })
  } catch (err) {
    throw new DataError(`cannot download ${url}: ${networkReason(err)} (${proxyHint()})`)
  }
  if (!response.ok || response.body === null) {
    throw new DataError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`.trim())
  }
  const length = Number(response.headers.get('content-length'))
  const total = Number.isFinite(length) && length > 0 ? length : undefined
  const chunks: Buffer[] = []
  let bytes = 0
  try {
    for await (const chunk of response.body) {
      chunks.push(Buffer.from(chunk))
      bytes += chunk.length
      options.onProgress?.(bytes, total)
    }
  } catch (err) {
    throw new DataError(`download of ${url} broke off after ${bytes} bytes: ${networkReason(err)}`)
  }
  return Buffer.concat(chunks)
}

/** Says which proxy settings were in effect, since a wrong proxy looks like being offline. */
function proxyHint (): string {
  const set = PROXY_VARIABLES.filter((name) => (process.env[name] ?? '') !== '').map((name) => `${name}=${withoutPassword(process.env[name] ?? '')}`)
  return set.length === 0 ? 'offline?' : `offline, or a wrong proxy setting? ${set.join(' ')}`
}

/** A proxy URL may carry credentials (http://user:password@proxy:3128); they stay out of logs. */
function withoutPassword (value: string): string {
  if (!URL.canParse(value)) return value
  const url = new URL(value)
  if (url.password === '') return value
  url.password = '***'
  return url.href
}

/** The useful part of a fetch failure: undici hides the system error in `cause`. */
function networkReason (err: unknown): string {
  const e = err as Error & { cause?: { code?: string, message?: string } }
  if (e.name === 'TimeoutError') return 'timed out'
  if (e.cause?.code !== undefined) return e.cause.code
  return e.cause?.message ?? e.message
}

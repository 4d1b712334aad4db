import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer, request, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect, type AddressInfo } from 'node:net'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32, deflateRawSync } from 'node:zlib'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { DataError, downloadAi4i, listZip, readZipEntry, trainDefaultModel } from '../../src/training/index.js'
import { ai4iLikeRows, tempDir, uciCsv } from './fixtures.js'

const BIN = fileURLToPath(new URL('../../src/bin/edge-detector.js', import.meta.url))

/** A zip archive like UCI's: the given files, deflated (or stored), with a central directory. */
function buildZip (files: Array<{ name: string, data: Buffer, store?: boolean }>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const f of files) {
    const body = f.store === true ? f.data : deflateRawSync(f.data)
    const name = Buffer.from(f.name)
    const crc = crc32(f.data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(f.store === true ? 0 : 8, 8)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(f.data.length, 22)
    local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(f.store === true ? 0 : 8, 10)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(f.data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, body)
    centrals.push(central, name)
    offset += 30 + name.length + body.length
  }
  const dir = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(files.length, 8)
  end.writeUInt16LE(files.length, 10)
  end.writeUInt32LE(dir.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, dir, end])
}

/** Serves `routes` on a free port; counts requests. */
async function serve (t: { after: (fn: () => Promise<void>) => void }, routes: Record<string, Buffer>): Promise<{ url: string, requests: () => number }> {
  let requests = 0
  const server: Server = createServer((req, res) => {
    requests++
    const body = routes[req.url ?? '']
    if (body === undefined) {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => await new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests }
}

/**
 * A forward proxy like a plant's: tunnels CONNECT requests and forwards absolute-URI requests. Records
 * the target of each request it handles.
 */
async function proxy (t: { after: (fn: () => Promise<void>) => void }): Promise<{ url: string, targets: string[] }> {
  const targets: string[] = []
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '')
    targets.push(`GET ${target.host}`)
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  server.on('connect', (req, client, head) => {
    targets.push(`CONNECT ${req.url ?? ''}`)
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets }
}

/** Sets environment variables for one test; the previous values come back after it. */
function setEnv (t: { after: (fn: () => void) => void }, values: Record<string, string | undefined>): void {
  const before = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]))
  const apply = (v: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(v)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name)
      else process.env[name] = value
    }
  }
  apply(values)
  t.after(() => apply(before))
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']
const noProxyVariables = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, undefined]))

/** A port that was free a moment ago: nothing listens there, as when the machine is offline. */
async function closedPort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

test('the zip reader unpacks deflated and stored entries and checks their CRC', async () => {
  const a = Buffer.from('hello, '.repeat(100))
  const b = Buffer.from('stored as is')
  const zip = buildZip([{ name: 'dir/a.txt', data: a }, { name: 'b.txt', data: b, store: true }])
  const entries = await listZip(zip)
  assert.deepEqual(entries.map((e) => e.name), ['dir/a.txt', 'b.txt'])
  assert.deepEqual(await readZipEntry(zip, entries[0]), a)
  assert.deepEqual(await readZipEntry(zip, entries[1]), b)
  const corrupt = Buffer.from(zip)
  corrupt[entries[1].offset + 30 + 'b.txt'.length] ^= 0xff
  await assert.rejects(readZipEntry(corrupt, entries[1]), /b\.txt is corrupt \(size or CRC-32 mismatch\)/)
  await assert.rejects(listZip(Buffer.from('not a zip at all, not at all')), /not a zip archive/)
})

test('the zip reader names what is wrong with a damaged archive', async () => {
  const data = Buffer.from('id,value\n'.repeat(500))
  const zip = buildZip([{ name: 'ai4i2020.csv', data }])
  const [entry] = await listZip(zip)
  const start = entry.offset + 30 + entry.name.length
  const garbled = Buffer.from(zip)
  garbled.fill(0xff, start, start + 2)
  await assert.rejects(readZipEntry(garbled, entry), /^ZipError: cannot inflate ai4i2020\.csv: /)
  const noLocalHeader = Buffer.from(zip)
  noLocalHeader.writeUInt32LE(0, entry.offset)
  await assert.rejects(readZipEntry(noLocalHeader, entry), /corrupt zip archive: bad local header for ai4i2020\.csv/)
  await assert.rejects(listZip(zip.subarray(0, zip.length - 10)), /not a zip archive/)
  await assert.rejects(readZipEntry(zip, { ...entry, method: 12 }), /compression method 12; only stored and deflated entries are supported/)
})

test('--download: fetch the archive, verify the SHA-256, unpack, cache; second time from the cache', async (t) => {
  const dir = await tempDir(t)
  const csv = Buffer.from(uciCsv(ai4iLikeRows(400, 41)))
  const zip = buildZip([{ name: 'ai4i2020.csv', data: csv }])
  const server = await serve(t, { '/601.zip': zip })
  const dataDir = join(dir, 'data')
  const progress: number[] = []
  const first = await downloadAi4i({ url: `${server.url}/601.zip`, sha256: sha256(csv), dataDir, onProgress: (bytes) => progress.push(bytes) })
  assert.deepEqual(first, { path: join(dataDir, 'ai4i2020.csv'), cached: false })
  assert.deepEqual(await readFile(first.path), csv)
  assert.equal(progress[progress.length - 1], zip.length)
  const second = await downloadAi4i({ url: `${server.url}/601.zip`, sha256: sha256(csv), dataDir })
  assert.equal(second.cached, true)
  assert.equal(server.requests(), 1)
  // A damaged cache is not trusted: fetched again.
  await writeFile(first.path, csv.subarray(0, 100))
  const third = await downloadAi4i({ url: `${server.url}/601.zip`, sha256: sha256(csv), dataDir })
  assert.equal(third.cached, false)
  assert.deepEqual(await readFile(first.path), csv)
  assert.equal(server.requests(), 2)
})

test('--download refuses a file whose SHA-256 differs, and caches nothing', async (t) => {
  const dir = await tempDir(t)
  const csv = Buffer.from(uciCsv(ai4iLikeRows(50, 42)))
  const server = await serve(t, { '/601.zip': buildZip([{ name: 'x/ai4i2020.csv', data: csv, store: true }]) })
  const dataDir = join(dir, 'data')
  await assert.rejects(downloadAi4i({ url: `${server.url}/601.zip`, sha256: '0'.repeat(64), dataDir }), (err: Error) => {
    assert.ok(err instanceof DataError)
    assert.match(err.message, new RegExp(`has SHA-256 ${sha256(csv)}, expected 0{64}: refusing`))
    return true
  })
  await assert.rejects(readFile(join(dataDir, 'ai4i2020.csv')), { code: 'ENOENT' })
  await assert.rejects(downloadAi4i({ url: `${server.url}/missing.zip`, dataDir }), /cannot download .*missing\.zip: HTTP 404/)
})

test('offline: a clear message, and the default model falls back to synthetic data', async (t) => {
  const dir = await tempDir(t)
  const port = await closedPort()
  const offline = `http://127.0.0.1:${port}/601.zip`
  await assert.rejects(downloadAi4i({ url: offline, dataDir: dir }), (err: Error) => {
    assert.ok(err instanceof DataError)
    assert.equal(err.message, `cannot download ${offline}: ECONNREFUSED (offline?)`)
    return true
  })

  let generated = 0
  const generate = function * (rows: number, seed: number): Generator<import('@factory-edge/shared/contract').Telemetry> {
    const ai4i = ai4iLikeRows(rows, seed)
    for (const [i, r] of ai4i.entries()) {
      generated++
      yield { machineId: `m${i % 3}`, ts: i * 1000, seq: Math.floor(i / 3), temperature: r.process - 273.15, airTemperature: r.air - 273.15, rpm: r.rpm, torque: r.torque, toolWear: r.wear, humidity: 50 }
    }
  }
  const model = await trainDefaultModel({ url: offline, dataDir: dir, syntheticRows: 600, generate, trees: 10 })
  assert.equal(model.data, 'synthetic')
  assert.match(model.fallbackReason ?? '', /ECONNREFUSED/)
  assert.equal(model.result.model.training.rows, 600)
  assert.equal(generated, 600)
})

test('edge-detector train --download against a local server trains from the cached file', async (t) => {
  const dir = await tempDir(t)
  const csv = Buffer.from(uciCsv(ai4iLikeRows(600, 43)))
  const server = await serve(t, { '/601.zip': buildZip([{ name: 'ai4i2020.csv', data: csv }]) })
  const args = ['train', '--download', '--download-url', `${server.url}/601.zip`, '--sha256', sha256(csv), '--data-dir', join(dir, 'data'), '--out', join(dir, 'results', 'model.json'), '--trees', '10', '--log-format', 'json']
  // Asynchronous: the server runs in this process and must answer while the command waits.
  const run = promisify(execFile)
  const first = await run(process.execPath, [BIN, ...args], { timeout: 60_000 })
  assert.match(first.stdout, /downloaded and verified/)
  const second = await run(process.execPath, [BIN, ...args], { timeout: 60_000 })
  assert.match(second.stdout, /using cached/)
  assert.equal(server.requests(), 1)
  const report = JSON.parse(await readFile(join(dir, 'results', 'report.json'), 'utf8'))
  assert.equal(report.rows, 600)
})

test('edge-detector train --download offline: one line that says what to do instead', async (t) => {
  const dir = await tempDir(t)
  const port = await closedPort()
  const run = promisify(execFile)
  await assert.rejects(run(process.execPath, [BIN, 'train', '--download', '--download-url', `http://127.0.0.1:${port}/601.zip`, '--data-dir', dir, '--out', join(dir, 'm.json')], { timeout: 60_000 }),
    (err: Error & { code: number, stderr: string }) => {
      assert.equal(err.code, 1)
      assert.equal(err.stderr, `edge-detector train: cannot download http://127.0.0.1:${port}/601.zip: ECONNREFUSED (offline?); train from a local copy with --csv FILE, or on simulated readings written by sensor-simulator generate --out FILE\n`)
      return true
    })
})

test('--download goes through HTTP_PROXY, and straight to a host NO_PROXY names', async (t) => {
  const dir = await tempDir(t)
  const csv = Buffer.from(uciCsv(ai4iLikeRows(50, 44)))
  const server = await serve(t, { '/601.zip': buildZip([{ name: 'ai4i2020.csv', data: csv }]) })
  const relay = await proxy(t)
  const host = new URL(server.url).host
  setEnv(t, { ...noProxyVariables, HTTP_PROXY: relay.url })
  await downloadAi4i({ url: `${server.url}/601.zip`, sha256: sha256(csv), dataDir: join(dir, 'a') })
  assert.equal(relay.targets.length, 1)
  assert.match(relay.targets[0], new RegExp(`^(GET|CONNECT) ${host}$`))
  assert.equal(server.requests(), 1)

  setEnv(t, { NO_PROXY: 'example.org,127.0.0.1' })
  await downloadAi4i({ url: `${server.url}/601.zip`, sha256: sha256(csv), dataDir: join(dir, 'b') })
  assert.equal(relay.targets.length, 1, 'NO_PROXY covers the host: the proxy is not asked')
  assert.equal(server.requests(), 2)
})

test('--download with the proxy variables set but empty (as docker-compose passes unset ones) goes direct', async (t) => {
  const dir = await tempDir(t)
  const csv = Buffer.from(uciCsv(ai4iLikeRows(50, 44)))
  const server = await serve(t, { '/601.zip': buildZip([{ name: 'ai4i2020.csv', data: csv }]) })
  setEnv(t, { ...noProxyVariables, HTTPS_PROXY: '', HTTP_PROXY: '', NO_PROXY: '' })
  await downloadAi4i({ url: `${server.url}/601.zip`, sha256: sha256(csv), dataDir: dir })
  assert.equal(server.requests(), 1)
})

test('--download through a proxy that is down names the proxy settings, without the password', async (t) => {
  const dir = await tempDir(t)
  const port = await closedPort()
  const server = await serve(t, {})
  setEnv(t, { ...noProxyVariables, http_proxy: `http://plant:secret@127.0.0.1:${port}` })
  await assert.rejects(downloadAi4i({ url: `${server.url}/601.zip`, dataDir: dir }), (err: Error) => {
    assert.ok(err instanceof DataError)
    assert.equal(err.message, `cannot download ${server.url}/601.zip: ECONNREFUSED (offline, or a wrong proxy setting? http_proxy=http://plant:***@127.0.0.1:${port}/)`)
    return true
  })
  assert.equal(server.requests(), 0)
})

test('edge-detector train --download over HTTPS tunnels through HTTPS_PROXY', async (t) => {
  const dir = await tempDir(t)
  const run = promisify(execFile)
  // A certificate for 127.0.0.1, trusted by the command through NODE_EXTRA_CA_CERTS, as a plant's own CA would be.
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
  const csv = Buffer.from(uciCsv(ai4iLikeRows(50, 45)))
  const zip = buildZip([{ name: 'ai4i2020.csv', data: csv }])
  let requests = 0
  const https = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
    requests++
    res.writeHead(200, { 'content-length': zip.length }).end(zip)
  })
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
  t.after(async () => await new Promise<void>((resolve) => https.close(() => resolve())))
  const port = (https.address() as AddressInfo).port
  const relay = await proxy(t)
  // Only this proxy variable: an empty lower-case one would take precedence over it.
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !PROXY_VARIABLES.includes(name))), HTTPS_PROXY: relay.url, NODE_EXTRA_CA_CERTS: cert }
  const args = ['train', '--download', '--download-url', `https://127.0.0.1:${port}/601.zip`, '--sha256', sha256(csv), '--data-dir', join(dir, 'data'), '--out', join(dir, 'model.json'), '--trees', '5', '--log-format', 'json']
  const { stdout } = await run(process.execPath, [BIN, ...args], { timeout: 60_000, env })
  assert.match(stdout, /downloaded and verified/)
  assert.deepEqual(relay.targets, [`CONNECT 127.0.0.1:${port}`])
  assert.equal(requests, 1)
})

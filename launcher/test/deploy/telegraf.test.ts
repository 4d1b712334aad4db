import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { BROKER_DEFAULTS } from '@factory-edge/broker'
import { DETECTOR_DEFAULTS } from '@factory-edge/edge-detector'
import { TELEGRAF_CONF, exposition, globMatches, readTelegrafConfig } from './telegraf-schema.js'

// Telegraf is not a Debian package and no Docker engine runs here: its config is checked against the
// compose file (which services it scrapes, on which ports, and where it writes). The names the dashboard
// reads from it are checked against a real scrape in dashboard.test.ts.

const hasCompose = ((): boolean => { try { execFileSync('docker-compose', ['version'], { stdio: 'ignore' }); return true } catch { return false } })()

interface Service {
  image?: string
  command?: string[]
  entrypoint?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  restart?: string
}

function resolvedCompose (): { services: Record<string, Service> } {
  const result = spawnSync('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config'], { encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  return parse(result.stdout) as { services: Record<string, Service> }
}

/** The value of `--flag=value` in a compose command, if given. */
function flag (service: Service, name: string): string | undefined {
  return service.command?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}

/** Where a service's /metrics listens in the stack: its port and address, from the compose file and the defaults. */
function metricsEndpoint (name: string, service: Service): { port: number, host: string | undefined } {
  if (name === 'broker') return { port: Number(flag(service, 'http-port') ?? BROKER_DEFAULTS.httpPort), host: flag(service, 'http-host') }
  if (name === 'edge-detector') return { port: Number(service.environment?.HTTP_PORT ?? DETECTOR_DEFAULTS.httpPort), host: service.environment?.HTTP_HOST }
  throw new Error(`${name} serves no /metrics`)
}

test('Telegraf scrapes /metrics of the broker and the detector on the ports and addresses they serve in compose, and writes to the stack\'s InfluxDB', { skip: !hasCompose && 'docker-compose is not installed' }, async () => {
  const { services } = resolvedCompose()
  const config = await readTelegrafConfig()
  const inputs = config.inputs.prometheus
  const scraped = inputs.flatMap((input) => input.urls.map((u) => new URL(u)))
  assert.deepEqual(scraped.map((u) => u.hostname).sort(), ['broker', 'edge-detector'])
  for (const url of scraped) {
    const service = services[url.hostname]
    assert.ok(service !== undefined, `${url.href}: no service ${url.hostname} in docker-compose.yml`)
    const endpoint = metricsEndpoint(url.hostname, service)
    assert.equal(Number(url.port), endpoint.port, `${url.href}: ${url.hostname} serves /metrics on ${endpoint.port}`)
    assert.equal(url.pathname, '/metrics')
    // Loopback (the default address) would not be reachable from the telegraf container.
    assert.equal(endpoint.host, '0.0.0.0', `${url.hostname} listens for /metrics on all addresses`)
  }
  for (const input of inputs) {
    assert.equal(input.metric_version, 2, 'one measurement, one field per metric (the dashboard reads that layout)')
    assert.equal(typeof input.tags?.service, 'string', 'each input tags its points with the service')
  }
  assert.deepEqual(inputs.map((i) => i.tags?.service), ['factory-broker', 'edge-detector'])

  const telegraf = services.telegraf
  assert.match(telegraf.image ?? '', /^telegraf:\d+\.\d+\.\d+$/)
  assert.equal(telegraf.restart, 'unless-stopped')
  assert.equal(telegraf.depends_on?.influxdb.condition, 'service_healthy')
  assert.ok(telegraf.volumes?.some((v) => v.endsWith(`${TELEGRAF_CONF}:/etc/telegraf/telegraf.conf:ro`)), JSON.stringify(telegraf.volumes))
  // The output: the stack's InfluxDB, its org and bucket, a write token of its own read from its file.
  const output = config.outputs.influxdb_v2
  assert.equal(output.length, 1)
  const env = telegraf.environment ?? {}
  const resolve = (value: string): string | undefined => value.replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? `<unset ${name}>`)
  assert.deepEqual(output[0].urls.map(resolve), ['http://influxdb:8086'])
  const influx = services.influxdb.environment ?? {}
  assert.equal(resolve(output[0].organization), influx.DOCKER_INFLUXDB_INIT_ORG)
  assert.equal(resolve(output[0].bucket), influx.DOCKER_INFLUXDB_INIT_BUCKET)
  assert.equal(output[0].token, '$' + '{INFLUX_TOKEN}', 'from the environment the entrypoint sets')
  assert.equal(env.INFLUX_TOKEN, undefined, 'not the admin token, nor any token in the compose file')
  assert.ok(telegraf.volumes?.includes('influx-tokens:/run/influx-tokens:ro'))
  assert.match(telegraf.entrypoint?.join(' ') ?? '', /INFLUX_TOKEN=\$\$?\(cat \/run\/influx-tokens\/telegraf\.token\).*exec \/entrypoint\.sh telegraf/)
})

test('the entrypoint of the telegraf service hands the token from its file to telegraf, and stops when the file is missing', async (t) => {
  const doc = parse(await readFile('docker-compose.yml', 'utf8')) as { services: Record<string, Service> }
  const entrypoint = doc.services.telegraf.entrypoint ?? []
  assert.deepEqual(entrypoint.slice(0, 2), ['/bin/sh', '-c'])
  // The script with the container's paths swapped for temporary ones; `$$` is compose's escape for `$`.
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  await mkdir(join(dir.dir, 'tokens'))
  await writeFile(join(dir.dir, 'entrypoint.sh'), '#!/bin/sh\necho "$@ token=$INFLUX_TOKEN"\n')
  await chmod(join(dir.dir, 'entrypoint.sh'), 0o755)
  const script = entrypoint[2].replaceAll('$$', '$').replaceAll('/run/influx-tokens', join(dir.dir, 'tokens')).replaceAll('/entrypoint.sh', join(dir.dir, 'entrypoint.sh'))
  const missing = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' })
  assert.notEqual(missing.status, 0, 'no token file: the container exits (and restarts) instead of running without a token')
  await writeFile(join(dir.dir, 'tokens', 'telegraf.token'), 'scoped-write-token\n')
  const run = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout, 'telegraf token=scoped-write-token\n')
})

test('the exposition parser and the glob of fieldinclude (which the dashboard check relies on)', () => {
  const { samples, labels } = exposition('# HELP a_total x\n# TYPE a_total counter\na_total 3\nb_bucket{le="0.5",reason="x"} 1\nb_sum 2.5\n')
  assert.deepEqual([...samples], ['a_total', 'b_bucket', 'b_sum'])
  assert.deepEqual([...labels], ['le', 'reason'])
  assert.ok(globMatches('edge_detector_*', 'edge_detector_rejected_total'))
  assert.ok(!globMatches('edge_detector_*', 'factory_broker_clients_connected'))
  assert.ok(globMatches('process_resident_memory_bytes', 'process_resident_memory_bytes'))
  assert.ok(!globMatches('process_resident_memory_bytes', 'process_resident_memory_bytes_x'))
})

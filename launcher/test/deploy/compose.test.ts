import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { access, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { SIMULATOR_DEFAULTS } from '@factory-edge/sensor-simulator'

// No Docker engine runs here: `docker-compose config` (Debian's docker-compose 1.29) validates and
// resolves the file, which is as far as this machine can go.

const hasCompose = ((): boolean => { try { execFileSync('docker-compose', ['version'], { stdio: 'ignore' }); return true } catch { return false } })()

function compose (...args: string[]): { status: number | null, stdout: string, stderr: string } {
  const result = spawnSync('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yml', ...args], { encoding: 'utf8' })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

interface Service {
  image?: string
  build?: unknown
  restart?: string
  healthcheck?: { test: unknown }
  volumes?: Array<string | { source?: string, type?: string }>
  profiles?: string[]
  depends_on?: Record<string, { condition: string }>
  environment?: Record<string, string>
  entrypoint?: string[]
}

test('docker-compose.yml is valid and resolves with .env.example', { skip: !hasCompose && 'docker-compose is not installed' }, async () => {
  const result = compose('config')
  assert.equal(result.status, 0, result.stderr)
  const config = parse(result.stdout) as { services: Record<string, Service>, volumes: Record<string, unknown> }
  const services = config.services
  for (const name of ['broker', 'influxdb', 'grafana', 'edge-detector', 'sensor-simulator']) assert.ok(services[name] !== undefined, `service ${name} missing`)
  // docker-compose config lists every service; the profile keeps Mosquitto out of a plain `up`.
  assert.deepEqual(services.mosquitto.profiles, ['mosquitto'])
  assert.deepEqual(services['mosquitto-init'].profiles, ['mosquitto'])
  for (const [name, s] of Object.entries(services)) if (!name.startsWith('mosquitto')) assert.equal(s.profiles, undefined, name)

  // Long-running services restart; one-shot init services do not.
  for (const [name, s] of Object.entries(services)) {
    if (name.endsWith('-init')) assert.equal(s.restart, 'no', name)
    else assert.equal(s.restart, 'unless-stopped', name)
  }
  for (const name of ['broker', 'influxdb', 'grafana', 'edge-detector']) assert.ok(services[name].healthcheck !== undefined, `${name} has no healthcheck`)
  assert.equal(services['edge-detector'].depends_on?.broker.condition, 'service_healthy')
  assert.equal(services.broker.depends_on?.['broker-init'].condition, 'service_completed_successfully')
  // A first model before the detector starts, in the volume the detector reads it from.
  assert.equal(services['edge-detector'].depends_on?.['model-init'].condition, 'service_completed_successfully')
  const modelInit = services['model-init']
  assert.equal(modelInit.image, services['edge-detector'].image)
  assert.deepEqual(modelInit.entrypoint, ['/bin/sh', '/scripts/model-init.sh'])
  assert.equal(modelInit.environment?.MODEL_PATH, services['edge-detector'].environment?.MODEL_PATH)
  assert.ok(modelInit.volumes?.some((v) => String(v).startsWith('models:/models')), JSON.stringify(modelInit.volumes))

  // Data and models live in named volumes.
  for (const v of ['broker-data', 'influxdb-data', 'grafana-data', 'models', 'detector-data']) assert.ok(v in config.volumes, `volume ${v} missing`)
  const env = services.influxdb.environment ?? {}
  // The password and the admin token from their files (launcher/test/deploy/secrets.test.ts).
  for (const key of ['MODE', 'USERNAME', 'PASSWORD_FILE', 'ORG', 'BUCKET', 'ADMIN_TOKEN_FILE']) assert.ok(env[`DOCKER_INFLUXDB_INIT_${key}`] !== undefined, key)
  // The detector uses the org and bucket InfluxDB was initialised with, and its own scoped token.
  const detector = services['edge-detector'].environment ?? {}
  assert.equal(detector.INFLUX_TOKEN_FILE, '/run/influx-tokens/detector.token', 'a token scoped to the bucket, not the admin token')
  assert.equal(detector.INFLUX_BUCKET, env.DOCKER_INFLUXDB_INIT_BUCKET)
  assert.equal(detector.INFLUX_ORG, env.DOCKER_INFLUXDB_INIT_ORG)
  // Telemetry QoS 1, as the simulator's default, the contract and the detector's persistent session expect.
  assert.equal(services['sensor-simulator'].environment?.SIM_QOS, '1')
})

test('the simulator publishes telemetry with QoS 1 by default, also in the Pi env file', async () => {
  assert.equal(SIMULATOR_DEFAULTS.qos, '1')
  const piEnv = await readFile('sensor-simulator/deploy/sensor-simulator.env', 'utf8')
  assert.match(piEnv, /^SIM_QOS=1$/m)
})

test('model-init, the service that downloads, gets HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the host, empty when unset', { skip: !hasCompose && 'docker-compose is not installed' }, () => {
  const proxies = { HTTPS_PROXY: 'http://proxy.plant.example:3128', HTTP_PROXY: 'http://proxy.plant.example:3128', NO_PROXY: 'localhost,.plant.example' }
  const run = (env: Record<string, string>): Record<string, string> => {
    const result = spawnSync('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config'], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } })
    assert.equal(result.status, 0, result.stderr)
    return (parse(result.stdout) as { services: Record<string, Service> }).services['model-init'].environment ?? {}
  }
  const behindProxy = run(proxies)
  for (const [name, value] of Object.entries(proxies)) assert.equal(behindProxy[name], value, name)
  // Unset on the host: empty, which the download takes as "no proxy" (edge-detector/test/training/download.test.ts).
  const direct = run({})
  for (const name of Object.keys(proxies)) assert.equal(direct[name] ?? '', '', name)
})

test('the mosquitto profile runs Mosquitto with the repository mosquitto.conf and ACL', { skip: !hasCompose && 'docker-compose is not installed' }, () => {
  const profiles = compose('config', '--profiles')
  assert.equal(profiles.stdout.trim(), 'mosquitto')
  const config = parse(compose('config').stdout) as { services: Record<string, Service & { working_dir?: string, command?: string[] }> }
  const mosquitto = config.services.mosquitto
  assert.equal(mosquitto.working_dir, '/factory')
  assert.deepEqual(mosquitto.command, ['mosquitto', '-c', '/factory/mosquitto.conf'])
  const mounts = JSON.stringify(mosquitto.volumes)
  assert.match(mounts, /mosquitto\.conf/)
})

test('the Dockerfile is multi-stage, builds on the build platform and runs as a non-root user', async () => {
  const dockerfile = await readFile('Dockerfile', 'utf8')
  const stages = [...dockerfile.matchAll(/^FROM\s+(.+)$/gm)].map((m) => m[1])
  assert.equal(stages.length, 2)
  assert.match(stages[0], /--platform=\$BUILDPLATFORM .* AS build/)
  assert.match(stages[1], /AS runtime$/)
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '))
  assert.match(runtime, /^USER node$/m)
  assert.doesNotMatch(runtime, /npm (ci|install)/, 'the runtime stage must not install anything')
  // Every service the compose file builds is a workspace with that bin.
  const composeText = await readFile('docker-compose.yml', 'utf8')
  // The image runs <SERVICE>/dist/src/bin/<BIN>.js, compiled from src/bin/<BIN>.ts.
  for (const m of composeText.matchAll(/SERVICE: ([a-z-]+), BIN: ([a-z-]+)/g)) {
    const pkg = JSON.parse(await readFile(`${m[1]}/package.json`, 'utf8')) as { bin?: Record<string, string> }
    assert.ok(pkg.bin?.[m[2]] !== undefined, `${m[1]} declares no command ${m[2]}`)
    await access(`${m[1]}/src/bin/${m[2]}.ts`)
  }
})

test('every third-party image of both compose files is pinned to an exact version, and the obsolete version key is gone', async () => {
  for (const [file, least] of [['docker-compose.yml', 3], ['docker-compose.nats.yml', 1]] as const) {
    const doc = parse(await readFile(file, 'utf8'), { merge: true }) as { version?: string, services: Record<string, { image?: string }> }
    assert.equal(doc.version, undefined, `${file}: the Compose Specification has no version key`)
    const images = Object.values(doc.services).map((s) => s.image).filter((i): i is string => i !== undefined && !i.startsWith('factory-edge/'))
    assert.ok(images.length >= least, `${file}: ${images.join(', ')}`)
    for (const image of images) assert.match(image, /:\d+\.\d+\.\d+(-[a-z0-9]+)?$/, `${file}: ${image} floats: pin an exact version`)
  }
})

test('InfluxDB tokens are scoped: the init script creates write tokens for the detector and Telegraf and a read token for Grafana, which they read from files', async (t) => {
  const dir = await tempDir()
  t.after(() => dir.cleanup())
  // A stand-in for the influx CLI (none here): logs its arguments, answers like the real one.
  const bin = join(dir.dir, 'bin')
  const log = join(dir.dir, 'influx.log')
  const { mkdir, chmod } = await import('node:fs/promises')
  await mkdir(bin)
  await writeFile(join(bin, 'influx'), `#!/bin/sh
echo "$*" >> ${log}
case "$1 $2" in
  "bucket list") printf '0a1b2c3d4e5f6a7b\\tplant\\t720h0m0s\\tf00\\n' ;;
  "auth create") n=$(grep -c '^auth create' ${log}); case "$*" in *--write-bucket*) printf "id$n\\tdesc\\twrite-token-$n\\tadmin\\tu1\\t[write:orgs/f00/buckets/0a1b2c3d4e5f6a7b]\\n" ;; *) printf "id$n\\tdesc\\tread-token-$n\\tadmin\\tu1\\t[read:orgs/f00/buckets/0a1b2c3d4e5f6a7b]\\n" ;; esac ;;
esac
`)
  await chmod(join(bin, 'influx'), 0o755)
  const tokens = join(dir.dir, 'tokens')
  const runScript = (): ReturnType<typeof spawnSync> => spawnSync('sh', ['deploy/influxdb/scoped-tokens.sh'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, DOCKER_INFLUXDB_INIT_ORG: 'acme', DOCKER_INFLUXDB_INIT_BUCKET: 'plant', TOKEN_DIR: tokens } })
  const run = runScript()
  assert.equal(run.status, 0, String(run.stderr))
  assert.equal(await readFile(join(tokens, 'detector.token'), 'utf8'), 'write-token-1\n')
  assert.equal(await readFile(join(tokens, 'grafana.token'), 'utf8'), 'read-token-2\n')
  assert.equal(await readFile(join(tokens, 'telegraf.token'), 'utf8'), 'write-token-3\n')
  const creates = async (): Promise<string[]> => (await readFile(log, 'utf8')).trim().split('\n').filter((c) => c.startsWith('auth create')).map((c) => c.replace(/ --description .*/, ''))
  assert.deepEqual(await creates(), [
    'auth create --org acme --write-bucket 0a1b2c3d4e5f6a7b',
    'auth create --org acme --read-bucket 0a1b2c3d4e5f6a7b',
    'auth create --org acme --write-bucket 0a1b2c3d4e5f6a7b'
  ], 'one permission each, on the one bucket')
  // Run again on a volume with some tokens (set up before Telegraf was added): only the missing one is created.
  const { rm } = await import('node:fs/promises')
  await rm(join(tokens, 'telegraf.token'))
  const again = runScript()
  assert.equal(again.status, 0, String(again.stderr))
  assert.equal((await creates()).length, 4)
  assert.equal(await readFile(join(tokens, 'detector.token'), 'utf8'), 'write-token-1\n', 'kept')
  assert.equal(await readFile(join(tokens, 'telegraf.token'), 'utf8'), 'write-token-4\n')

  const doc = parse(await readFile('docker-compose.yml', 'utf8')) as { services: Record<string, { environment?: Record<string, string>, volumes?: string[] }> }
  const detector = doc.services['edge-detector']
  assert.equal(detector.environment?.INFLUX_TOKEN, undefined, 'the detector does not get the admin token')
  assert.equal(detector.environment?.INFLUX_TOKEN_FILE, '/run/influx-tokens/detector.token')
  assert.ok(detector.volumes?.includes('influx-tokens:/run/influx-tokens:ro'))
  assert.equal(doc.services.grafana.environment?.INFLUXDB_TOKEN, undefined, 'nor does Grafana')
  assert.ok(doc.services.influxdb.volumes?.some((v) => v.endsWith(':/docker-entrypoint-initdb.d/scoped-tokens.sh:ro')))
})

test('docker-compose.nats.yml adds a three-node NATS cluster and two detector instances fed by it', { skip: !hasCompose && 'docker-compose is not installed' }, async () => {
  const result = compose('-f', 'docker-compose.nats.yml', 'config')
  assert.equal(result.status, 0, result.stderr)
  const services = (parse(result.stdout) as { services: Record<string, Service> }).services
  for (const node of ['nats-1', 'nats-2', 'nats-3']) {
    assert.ok(services[node].healthcheck !== undefined, `${node} has no healthcheck`)
    assert.ok(services[node].volumes?.some((v) => String(v).endsWith(':/data:rw') || String(v).endsWith(':/data')), `${node} keeps JetStream in a volume: ${JSON.stringify(services[node].volumes)}`)
  }
  const conf = await readFile('deploy/nats/nats.conf', 'utf8')
  // nats-server refuses to start on a variable its environment does not have (a user added to the file
  // only): each is set, or read from its secret file by the entrypoint (check-secrets.sh --export).
  const variables = [...conf.matchAll(/\$([A-Z_]+)/g)].map((m) => m[1])
  for (const node of ['nats-1', 'nats-2', 'nats-3']) {
    const s = services[node]
    for (const name of variables) {
      const fromFile = s.environment?.[`${name}_FILE`] !== undefined && (s.entrypoint ?? []).includes(name)
      assert.ok(s.environment?.[name] !== undefined || fromFile, `${node}: nats.conf reads $${name}`)
    }
  }
  const partitions = /partition\((\d+),1\)/.exec(conf)?.[1]
  const spools = new Set<string>()
  for (const name of ['edge-detector', 'edge-detector-2']) {
    const env = services[name].environment ?? {}
    assert.equal(env.DETECTOR_SOURCE, 'nats://nats-1:4222,nats-2:4222,nats-3:4222', name)
    assert.equal(env.NATS_PARTITIONS, partitions, `${name}: the partitions of the servers' mapping`)
    assert.equal(env.MQTT_CLIENT_ID, undefined, `${name}: its own client id (host name), which also names its leases`)
    assert.equal(services[name].depends_on?.['nats-1'].condition, 'service_healthy')
    assert.equal(services[name].depends_on?.['model-init'].condition, 'service_completed_successfully')
    const data = services[name].volumes?.map(String).find((v) => v.includes(':/data'))
    assert.ok(data !== undefined, name)
    spools.add(data.split(':')[0])
  }
  assert.equal(spools.size, 2, 'one spool volume per instance')
  assert.equal(services['sensor-simulator'].environment?.MQTT_URL, 'mqtt://nats-2:1883')
})

// The compose stack's secrets: each from its own file (compose `secrets:`), none in .env or the
// environment, and a missing one or a `change-me…` placeholder refused at start, naming the variable.
// No Docker engine runs here: the compose files are checked as `docker-compose config` resolves them,
// and the shell scripts the containers start with are run here, as sh runs them there.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { tempDir } from '@factory-edge/test-support/temp-dir'

const hasCompose = ((): boolean => { try { execFileSync('docker-compose', ['version'], { stdio: 'ignore' }); return true } catch { return false } })()
const BROKER_JS = 'broker/dist/src/bin/factory-broker.js'

interface Service { environment?: Record<string, string | null>, secrets?: Array<string | { source: string }>, entrypoint?: string[], volumes?: string[] }
interface Compose { services: Record<string, Service>, secrets?: Record<string, { file: string }> }

function resolved (...files: string[]): Compose {
  const result = spawnSync('docker-compose', ['--env-file', '.env.example', ...files.flatMap((f) => ['-f', f]), 'config'], { encoding: 'utf8', env: { PATH: process.env.PATH } })
  assert.equal(result.status, 0, result.stderr)
  return parse(result.stdout) as Compose
}

function sh (script: string, args: string[], env: Record<string, string>): { status: number | null, stdout: string, stderr: string } {
  const result = spawnSync('sh', [script, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

const SECRET_NAME = /(PASSWORD|TOKEN)$/

test('every password and token of both compose files comes from a file in /run/secrets the service mounts, none from .env', { skip: !hasCompose && 'docker-compose is not installed' }, async () => {
  const example = await readFile('.env.example', 'utf8')
  assert.doesNotMatch(example, /^[A-Z_]*(PASSWORD|TOKEN)=/m, '.env.example holds no secret')
  for (const files of [['docker-compose.yml'], ['docker-compose.yml', 'docker-compose.nats.yml']]) {
    const config = resolved(...files)
    const declared = Object.keys(config.secrets ?? {})
    assert.ok(declared.length >= 6, `${files.join(' + ')}: ${declared.join(', ')}`)
    for (const [name, secret] of Object.entries(config.secrets ?? {})) assert.match(secret.file, new RegExp(`/secrets/${name}$`), name)
    let fromFiles = 0
    for (const [name, service] of Object.entries(config.services)) {
      const mounted = (service.secrets ?? []).map((s) => typeof s === 'string' ? s : s.source)
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        assert.ok(!SECRET_NAME.test(key), `${files.join(' + ')}: ${name} gets ${key} as a value; give it ${key}_FILE`)
        const file = /^(.*?)_?_FILE$/.exec(key)
        if (file === null || !SECRET_NAME.test(file[1])) continue
        // A compose secret it mounts, or a token scoped-tokens.sh wrote into the volume it mounts.
        const secret = /^\/run\/secrets\/([a-z_]+)$/.exec(String(value))?.[1]
        const scoped = String(value).startsWith('/run/influx-tokens/') && (service.volumes ?? []).map(String).some((v) => v.startsWith('influx-tokens:/run/influx-tokens'))
        assert.ok(scoped || (secret !== undefined && mounted.includes(secret)), `${name}: ${key}=${String(value)} is not one of its secrets (${mounted.join(', ')})`)
        fromFiles++
      }
    }
    assert.ok(fromFiles >= 10, `${fromFiles} secrets from files`)
  }
  // The third-party images start behind check-secrets.sh, naming the secrets their own entrypoint reads.
  const config = resolved('docker-compose.yml', 'docker-compose.nats.yml')
  assert.deepEqual(config.services.influxdb.entrypoint, ['/bin/sh', '/scripts/check-secrets.sh', 'DOCKER_INFLUXDB_INIT_PASSWORD', 'DOCKER_INFLUXDB_INIT_ADMIN_TOKEN', '--', '/entrypoint.sh'])
  assert.deepEqual(config.services.grafana.entrypoint?.slice(2), ['GF_SECURITY_ADMIN_PASSWORD:GF_SECURITY_ADMIN_PASSWORD__FILE', '--', '/run.sh'])
  for (const node of ['nats-1', 'nats-2', 'nats-3']) assert.deepEqual(config.services[node].entrypoint?.slice(1, 8), ['/scripts/check-secrets.sh', '--export', 'SIMULATOR_PASSWORD', 'DETECTOR_PASSWORD', 'DASHBOARD_PASSWORD', 'GATEWAY_PASSWORD', '--'], node)
})

test('make-secrets.sh writes one random secret per compose secret, keeps existing ones, and broker-init.sh takes them', { skip: !hasCompose && 'docker-compose is not installed' }, async (t) => {
  const dir = await tempDir('secrets-')
  t.after(() => dir.cleanup())
  const secrets = join(dir.dir, 'secrets')
  const made = sh('deploy/scripts/make-secrets.sh', [], { SECRETS_DIR: secrets })
  assert.equal(made.status, 0, made.stderr)
  const names = Object.keys(resolved('docker-compose.yml', 'docker-compose.nats.yml').secrets ?? {})
  assert.deepEqual((await readdir(secrets)).sort(), [...names].sort())
  const values = await Promise.all(names.map(async (n) => await readFile(join(secrets, n), 'utf8')))
  for (const v of values) assert.match(v, /^[A-Za-z0-9]{40,}$/)
  assert.equal(new Set(values).size, values.length, 'each secret its own')
  assert.equal((await stat(secrets)).mode & 0o777, 0o700)
  await writeFile(join(secrets, 'grafana_admin_password'), 'chosen-by-the-plant')
  assert.equal(sh('deploy/scripts/make-secrets.sh', [], { SECRETS_DIR: secrets }).status, 0)
  assert.equal(await readFile(join(secrets, 'grafana_admin_password'), 'utf8'), 'chosen-by-the-plant', 'kept')

  const config = join(dir.dir, 'config')
  const { mkdir } = await import('node:fs/promises')
  await mkdir(config)
  const init = sh('deploy/scripts/broker-init.sh', [], {
    CONFIG_DIR: config,
    ACL_SOURCE: 'config/acl',
    FACTORY_BROKER_JS: BROKER_JS,
    SIMULATOR_PASSWORD_FILE: join(secrets, 'simulator_password'),
    DETECTOR_PASSWORD_FILE: join(secrets, 'detector_password'),
    DASHBOARD_PASSWORD_FILE: join(secrets, 'dashboard_password')
  })
  assert.equal(init.status, 0, init.stderr)
  const passwords = await readFile(join(config, 'passwords'), 'utf8')
  assert.deepEqual(passwords.trim().split('\n').map((l) => l.split(':')[0]), ['simulator', 'detector', 'dashboard'])
  for (const v of values) assert.ok(!passwords.includes(v), 'hashed, not the secret itself')
  assert.equal(await readFile(join(config, 'acl'), 'utf8'), await readFile('config/acl', 'utf8'))
})

test('broker-init.sh and mosquitto-init.sh refuse a placeholder, a missing secret or an unreadable file, naming the variable, before touching the password file', async (t) => {
  const dir = await tempDir('secrets-')
  t.after(() => dir.cleanup())
  const config = join(dir.dir, 'config')
  const { mkdir } = await import('node:fs/promises')
  await mkdir(config)
  await writeFile(join(config, 'passwords'), 'the old one\n')
  const placeholder = join(dir.dir, 'dashboard_password')
  await writeFile(placeholder, 'change-me-dashboard\n')
  const base = { CONFIG_DIR: config, ACL_SOURCE: 'config/acl', FACTORY_BROKER_JS: BROKER_JS, SIMULATOR_PASSWORD: 'a-real-one', DETECTOR_PASSWORD: 'another-real-one' }
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ ...base, DASHBOARD_PASSWORD: 'change-me-dashboard' }, /^DASHBOARD_PASSWORD is still the example's placeholder/],
    [{ ...base, DASHBOARD_PASSWORD_FILE: placeholder }, new RegExp(`^DASHBOARD_PASSWORD_FILE \\(${placeholder}\\) is still the example's placeholder`)],
    [{ ...base, DASHBOARD_PASSWORD_FILE: join(dir.dir, 'missing') }, /^DASHBOARD_PASSWORD_FILE=.*missing: cannot read the secret for DASHBOARD_PASSWORD$/],
    [{ ...base, DASHBOARD_PASSWORD_FILE: dir.dir }, /^DASHBOARD_PASSWORD_FILE=.*: cannot read the secret for DASHBOARD_PASSWORD$/],
    [base, /^DASHBOARD_PASSWORD is not set: set it, or put it in a file named by DASHBOARD_PASSWORD_FILE$/],
    [{ ...base, SIMULATOR_PASSWORD: 'CHANGEME', DASHBOARD_PASSWORD: 'x' }, /^SIMULATOR_PASSWORD is still the example's placeholder/]
  ]
  for (const script of ['deploy/scripts/broker-init.sh', 'deploy/scripts/mosquitto-init.sh']) {
    for (const [env, message] of cases) {
      const run = sh(script, [], env)
      assert.notEqual(run.status, 0, `${script} ${JSON.stringify(env)}`)
      assert.match(run.stderr.trim(), message, script)
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr)
    }
  }
  assert.equal(await readFile(join(config, 'passwords'), 'utf8'), 'the old one\n', 'untouched')
})

test('check-secrets.sh, in front of InfluxDB, Grafana and NATS: refuses a placeholder or missing file naming it, else runs the command, exporting the values only with --export', async (t) => {
  const dir = await tempDir('secrets-')
  t.after(() => dir.cleanup())
  const file = async (name: string, value: string): Promise<string> => { const p = join(dir.dir, name); await writeFile(p, value); return p }
  const token = await file('token', 'change-me-long-random-token\n')
  const password = await file('password', 'a-password-of-its-own\n')
  const grafana = await file('grafana', 'change-me-grafana')
  const script = 'deploy/scripts/check-secrets.sh'
  const influx = ['DOCKER_INFLUXDB_INIT_PASSWORD', 'DOCKER_INFLUXDB_INIT_ADMIN_TOKEN', '--', 'sh', '-c', 'echo started; printf "%s" "$DOCKER_INFLUXDB_INIT_PASSWORD"']
  const refused = sh(script, influx, { DOCKER_INFLUXDB_INIT_PASSWORD_FILE: password, DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE: token })
  assert.notEqual(refused.status, 0)
  assert.equal(refused.stdout, '', 'the command did not run')
  assert.match(refused.stderr, new RegExp(`^DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE \\(${token}\\) is still the example's placeholder`))
  const missing = sh(script, influx, { DOCKER_INFLUXDB_INIT_PASSWORD_FILE: password })
  assert.notEqual(missing.status, 0)
  assert.match(missing.stderr, /^DOCKER_INFLUXDB_INIT_ADMIN_TOKEN is not set/)
  const good = await file('good-token', 'a-token-of-its-own\n')
  const started = sh(script, influx, { DOCKER_INFLUXDB_INIT_PASSWORD_FILE: password, DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE: good })
  assert.equal(started.status, 0, started.stderr)
  assert.equal(started.stdout, 'started\n', 'runs the command, which reads the files itself (the value is not exported)')
  const gf = sh(script, ['GF_SECURITY_ADMIN_PASSWORD:GF_SECURITY_ADMIN_PASSWORD__FILE', '--', 'true'], { GF_SECURITY_ADMIN_PASSWORD__FILE: grafana })
  assert.notEqual(gf.status, 0)
  assert.match(gf.stderr, /^GF_SECURITY_ADMIN_PASSWORD__FILE \(.*\) is still the example's placeholder/)
  const nats = sh(script, ['--export', 'DETECTOR_PASSWORD', '--', 'sh', '-c', 'printf "%s" "$DETECTOR_PASSWORD"'], { DETECTOR_PASSWORD_FILE: password })
  assert.equal(nats.status, 0, nats.stderr)
  assert.equal(nats.stdout, 'a-password-of-its-own')
})

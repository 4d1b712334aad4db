#!/usr/bin/env node
// Runs examples/node-red/anomalies-flow.json in a real Node-RED: installs Node-RED from the npm registry
// into a cache directory (about 100 MB, too much for a devDependency of every checkout), starts it
// headless with the flow in a temporary user directory, against an aedes broker that requires the user
// and password given to Node-RED through MQTT_USER/MQTT_PASSWORD, publishes the contract's example
// anomaly events and expects each debug node to log its notification.
// The credentials come from anomalies-flow_cred.json, copied as flows_cred.json.
// Usage: npm run build && node scripts/node-red-smoke.mjs
import { spawn, execFileSync } from 'node:child_process'
import { createServer } from 'node:net'
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Aedes } from 'aedes'
import mqtt from 'mqtt'
import { ANOMALY_EVENT_EXAMPLES } from '@factory-edge/shared/contract'

// Node-RED 5 requires Node 22.9+; 4.1 runs on every Node line in `engines` (20.19+).
const NODE_RED = 'node-red@4.1.15'
const USER = 'node-red'
const PASSWORD = 'smoke-test-password'
const root = resolve(import.meta.dirname, '..')
const prefix = join(tmpdir(), 'factory-edge-node-red-4.1.15')
const redJs = join(prefix, 'node_modules', 'node-red', 'red.js')
if (!existsSync(redJs)) execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, NODE_RED], { stdio: 'inherit', timeout: 600_000 })

const byName = (name) => ANOMALY_EVENT_EXAMPLES.find((e) => e.name === name).payload
const processRaised = byName('processRaised')
const processCleared = byName('processCleared')
const sensorRaised = byName('sensorFaultRaised')
const sensorCleared = { ...sensorRaised, ts: sensorRaised.ts + 60_000, seq: sensorRaised.seq + 60, state: 'cleared', score: 0.31 }
const events = [processRaised, sensorRaised, processCleared, sensorCleared]
// The debug node's name and the text its template makes of each event, as the flow states them. Each
// raised and cleared pair differs in score, so that a flow sending one to the other's node fails.
const expected = [
  ['Process anomaly raised', `PROCESS ANOMALY RAISED on ${processRaised.machineId}: ${processRaised.severity}, score ${processRaised.score} over threshold ${processRaised.threshold}, top feature ${processRaised.features[0].name}`],
  ['Sensor fault raised', `SENSOR FAULT RAISED on ${sensorRaised.machineId}: ${sensorRaised.fault} ${sensorRaised.signal} (${sensorRaised.severity}), for an instrument technician`],
  ['Process anomaly cleared', `process anomaly cleared on ${processCleared.machineId} (score ${processCleared.score})`],
  ['Sensor fault cleared', `sensor fault cleared on ${sensorCleared.machineId}: ${sensorCleared.fault} ${sensorCleared.signal} (score ${sensorCleared.score})`]
]

const aedes = await Aedes.createBroker({
  authenticate: (_client, username, password, done) => done(null, username === USER && String(password) === PASSWORD)
})
const subscribed = new Promise((resolve) => aedes.on('subscribe', (subs) => {
  if (subs.some((s) => s.topic === 'factory/+/anomalies' && s.qos === 1)) resolve()
}))
const server = createServer(aedes.handle)
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const brokerPort = server.address().port
const uiPort = await freePort()

const userDir = mkdtempSync(join(tmpdir(), 'factory-edge-node-red-'))
cpSync(join(root, 'examples/node-red/anomalies-flow.json'), join(userDir, 'flows.json'))
cpSync(join(root, 'examples/node-red/anomalies-flow_cred.json'), join(userDir, 'flows_cred.json'))
writeFileSync(join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
  uiHost: '127.0.0.1', uiPort, httpAdminRoot: false, flowFile: 'flows.json', credentialSecret: false, logging: { console: { level: 'info' } }
})}\n`)
const started = Date.now()
const child = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], {
  env: { ...process.env, MQTT_HOST: '127.0.0.1', MQTT_PORT: String(brokerPort), MQTT_USER: USER, MQTT_PASSWORD: PASSWORD },
  stdio: ['ignore', 'pipe', 'pipe']
})
let output = ''
const poll = setInterval(() => {
  if (expected.every(([name, text]) => output.includes(`[debug:${name}] ${text}`))) finish()
}, 100)
child.stdout.on('data', (d) => { output += String(d) })
child.stderr.on('data', (d) => { output += String(d) })
child.on('exit', (code, signal) => finish(`Node-RED exited (${code ?? signal})`))
const timer = setTimeout(() => finish('no notification for every event within 30 s'), 30_000)

await subscribed
const subscribedMs = Date.now() - started
const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { username: USER, password: PASSWORD })
for (const event of events) await publisher.publishAsync(`factory/${event.machineId}/anomalies`, JSON.stringify(event), { qos: 1 })
await publisher.endAsync()

function finish (problem) {
  clearTimeout(timer)
  clearInterval(poll)
  child.removeAllListeners('exit')
  child.kill('SIGKILL')
  rmSync(userDir, { recursive: true, force: true })
  aedes.close(() => server.close())
  if (problem !== undefined) {
    process.stderr.write(`node-red smoke: ${problem}\n${output}\n`)
    process.exit(1)
  }
  process.stdout.write(JSON.stringify({ name: 'smoke.node_red_subscribed_ms', value: subscribedMs, unit: 'ms', nodeRed: NODE_RED, notifications: expected.length }) + '\n')
  process.exit(0)
}

function freePort () {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

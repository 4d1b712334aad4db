// A historian export tried offline with `edge-detector score --profiles` must give what the service gives
// when the same file is replayed through a real broker: the same learning, the same alerts, the same scores.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect } from 'mqtt'
import { allMachinesTopic, type AnomalyEvent, type MachineState } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { createLogger } from '@factory-edge/shared/runtime'
import { startBroker } from '@factory-edge/broker'
import { replayFile } from '@factory-edge/sensor-simulator'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import { eventually } from '@factory-edge/test-support/wait'
import { spawnSync } from 'node:child_process'
import { settledCounters, startDetectorProcess, DETECTOR_BIN } from './reliability/detector-process.js'

const PROFILES = `profiles:
  pump:
    machines: pump-*
    signals:
      flow: { unit: m³/h, min: 0, max: 500 }
      pressure: { unit: bar, min: 0, max: 40 }
    features: auto
    gapMs: auto
    learn: { readings: 200 }
`

/** Two signals of one pump a minute apart, as a historian exports them; its impeller clogs at rows 400-430. */
function historianCsv (): string {
  const random = new Random(11)
  const lines = ['time,Flow_m3h,Pressure_bar']
  for (let i = 0; i < 500; i++) {
    const load = 0.8 + 0.1 * Math.sin(i / 15)
    const clogged = i >= 400 && i < 430
    const flow = clogged ? 70 + random.uniform(-2, 2) : 200 * load + random.uniform(-2, 2)
    const pressure = clogged ? 11 : 8 * load * load + random.uniform(-0.1, 0.1)
    lines.push(`${new Date(Date.UTC(2026, 10, 2, 8, 0, 0) + i * 60_000).toISOString().replace('T', ' ').slice(0, 19)},${flow},${pressure}`)
  }
  return lines.join('\n') + '\n'
}

test('a two-signal CSV replayed through the broker gives the same learning, alerts and scores as edge-detector score on the same file', async (t) => {
  const dir = await tempDir('factory-edge-profiles-')
  t.after(async () => await dir.cleanup())
  const profiles = join(dir.dir, 'profiles.yaml')
  const csv = join(dir.dir, 'historian.csv')
  await writeFile(profiles, PROFILES)
  await writeFile(csv, historianCsv())
  const columns = 'Flow_m3h=flow,Pressure_bar=pressure'

  const scored = join(dir.dir, 'scored.csv')
  const offline = spawnSync(process.execPath, [DETECTOR_BIN, 'score', '--csv', csv, '--profiles', profiles, '--machine', 'pump-7', '--columns', columns, '--out', scored], { encoding: 'utf8' })
  assert.equal(offline.status, 0, offline.stderr)
  const rows = (await readFile(scored, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','))
  assert.equal(rows.length, 500)
  const learning = rows.filter((r) => r[3] === 'learning').length
  const expected = rows.filter((r) => r[6] !== '').map((r) => `seq ${Number(r[0]) - 2} ${r[6]} score ${Number(r[4]).toFixed(9)}`)
  assert.ok(expected.some((e) => e.includes('raised')), 'the clog raises an alert offline')

  const logger = createLogger('profiles-agreement', { level: 'warn', format: 'json', destination: process.stderr })
  const broker = await startBroker({ host: '127.0.0.1', port: 0, wsPort: null, httpPort: null, allowAnonymous: true, logger })
  t.after(async () => await broker.close())
  const detector = await startDetectorProcess({ brokerUrl: broker.url, modelPath: join(dir.dir, 'no-model.json'), spoolDir: join(dir.dir, 'spool'), clientId: 'profiles-agreement', args: ['--profiles', profiles, '--models-dir', join(dir.dir, 'models')] })
  t.after(async () => await detector.stop())

  const events: AnomalyEvent[] = []
  const states: MachineState[] = []
  const subscriber = connect(broker.url, { clientId: 'profiles-agreement-subscriber' })
  t.after(async () => await subscriber.endAsync(true))
  subscriber.on('message', (topic, payload) => {
    const message = JSON.parse(payload.toString()) as AnomalyEvent & MachineState
    if (topic.endsWith('/anomalies')) events.push(message)
    else states.push(message)
  })
  await subscriber.subscribeAsync([allMachinesTopic('anomalies'), allMachinesTopic('state')], { qos: 1 })

  const replay = await replayFile({ brokerUrl: broker.url, file: csv, machine: 'pump-7', columns: columns.split(','), speed: 0, logger, qos: 1 })
  assert.equal(replay.published, 500)
  const counters = await settledCounters(detector.counters, 500)
  assert.equal(counters.scored + counters.learning, 500, 'every reading learned from or scored')
  assert.equal(counters.learning, learning, 'as many learning readings as offline')
  await eventually(() => events.length >= expected.length, 15_000, `${expected.length} events from the service`)
  assert.deepEqual(events.map((e) => `seq ${e.seq} ${e.state} score ${e.score.toFixed(9)}`), expected)
  assert.ok(events.every((e) => e.profile === 'pump'))
  assert.ok(states.some((s) => s.state === 'learning' && s.profile === 'pump' && (s.learning?.progress ?? 0) > 0), 'learning progress on the retained state')
  assert.ok(states.some((s) => s.state === 'normal'), 'then normal')
})

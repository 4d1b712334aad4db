/**
 * Scheduling accuracy and memory of the Raspberry Pi build: the single-file bundle runs 1,000 machines
 * at 1 Hz for 60 s (10 s with --quick) against a local mosquitto, with the Node settings of the systemd
 * unit (V8 lite mode and a 1 MB young generation: memory over speed). A subscriber counts the readings that arrive; the error is their
 * distance from machines × rate × seconds. The resident set size is sampled every half second.
 */
import { spawn } from 'node:child_process'
import mqtt from 'mqtt'
import { rssOf, type BenchContext } from './harness.js'
import { buildPiBundle, startMosquitto } from './simulator-support.js'

/** The Node flags of sensor-simulator/deploy/sensor-simulator.service. */
export const PI_NODE_FLAGS = ['--lite-mode', '--no-expose-wasm', '--max-semi-space-size=1']

export default async function (ctx: BenchContext): Promise<void> {
  const bundle = buildPiBundle()
  const broker = await startMosquitto()
  const subscriber = await mqtt.connectAsync(broker.url)
  try {
    let delivered = 0
    subscriber.on('message', () => { delivered++ })
    await subscriber.subscribeAsync('factory/+/telemetry', { qos: 0 })
    const machines = 1000
    const seconds = ctx.quick ? 10 : 60
    const child = spawn(process.execPath, [...PI_NODE_FLAGS, bundle, '--broker-url', broker.url, '--machines', String(machines), '--rate', '1',
      '--connection', 'shared', '--duration', String(seconds), '--seed', '1', '--log-format', 'json', '--log-level', 'warn', '--stats-interval', '0'], { stdio: ['ignore', 'ignore', 'inherit'] })
    let peak = 0
    const sampler = setInterval(() => { peak = Math.max(peak, rssOf(child.pid as number) ?? 0) }, 500)
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    clearInterval(sampler)
    if (code !== 0) throw new Error(`the bundle exited with ${code}`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const expected = machines * seconds
    ctx.report('simulator.schedule_error_pct', Math.abs(delivered - expected) / expected * 100, '%')
    ctx.report('simulator.schedule_delivered', delivered, 'readings')
    ctx.report('simulator.rss_mb_1000_machines', peak / 1048576, 'MB')
  } finally {
    await subscriber.endAsync(true)
    await broker.close()
  }
}

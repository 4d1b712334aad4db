/**
 * Simulator throughput: one process, 1,000 machines offered 100 readings/s each (QoS 0, one shared
 * connection) to a local mosquitto in its own process. The figure is what the broker counted as received
 * ($SYS), divided by the run time, so readings the simulator generated but had to drop do not count.
 * Also the memory of 1,000 machines at 1 Hz with Node's default heap settings (the Pi figure, with the
 * settings of the systemd unit, is in simulator-schedule.bench.ts).
 */
import type { BenchContext } from './harness.js'
import { runSimulatorChild, settledPublishCount, startMosquitto } from './simulator-support.js'

export default async function (ctx: BenchContext): Promise<void> {
  const broker = await startMosquitto()
  try {
    const seconds = ctx.quick ? 4 : 12
    const before = await settledPublishCount(broker)
    const run = await runSimulatorChild([], {
      options: { brokerUrl: broker.url, machines: 1000, rateHz: 100, seed: 1, connection: 'shared', qos: 0 },
      seconds
    })
    const after = await settledPublishCount(broker)
    // The child's stop publishes 1,000 retained statuses (and 1,000 at the start); they are not readings.
    const received = after - before - 2000
    ctx.report('simulator.publish_msgs_per_s', received / (run.elapsedMs / 1000), 'msg/s')
    ctx.report('simulator.generated_readings_per_s', run.readings / (run.elapsedMs / 1000), 'readings/s')
    ctx.report('simulator.publish_dropped', run.dropped, 'readings')

    const idle = await runSimulatorChild([], {
      options: { brokerUrl: broker.url, machines: 1000, rateHz: 1, seed: 1, connection: 'shared' },
      seconds: ctx.quick ? 4 : 10
    })
    ctx.report('simulator.rss_mb_1000_machines_node_defaults', idle.peakRss / 1048576, 'MB')
  } finally {
    await broker.close()
  }
}

/**
 * Runs a simulator in its own process for the simulator benchmarks, so that its memory and timing are
 * not mixed with the benchmark runner's. Argument: JSON `{ options, seconds }`; prints one JSON line
 * with the counters, the readings taken inside the window and the resident set size.
 */
import { createLogger } from '@factory-edge/shared/runtime'
import { startSimulator, type SimulatorOptions } from '@factory-edge/sensor-simulator'

const { options, seconds } = JSON.parse(process.argv[2]) as { options: SimulatorOptions, seconds: number }
const sim = await startSimulator({ ...options, logger: createLogger('bench-simulator', { level: 'warn', format: 'json', destination: process.stderr }) })
const start = Date.now()
let peakRss = process.memoryUsage().rss
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 250)
await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
const inWindow = sim.stats()
const elapsedMs = Date.now() - start
const rss = process.memoryUsage().rss
clearInterval(sampler)
await sim.stop()
process.stdout.write(JSON.stringify({ ...inWindow, elapsedMs, rss, peakRss: Math.max(peakRss, rss) }) + '\n')
process.exit(0)

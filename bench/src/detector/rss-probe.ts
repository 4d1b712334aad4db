/**
 * Memory of a running detector holding many machines (its own process, run with --expose-gc): starts the
 * real service against the given broker, feeds `machines` x `perMachine` readings through its pipeline
 * (so that every machine has a full window), collects garbage and prints the resident set size in MB.
 */
import { startDetector } from '@factory-edge/edge-detector'
import { createLogger, Random } from '@factory-edge/shared'

const [url, modelPath, machinesText, perMachineText] = process.argv.slice(2)
const machines = Number(machinesText)
const perMachine = Number(perMachineText)
const detector = await startDetector({ brokerUrl: url, modelPath, logger: createLogger('rss-probe', { level: 'warn' }), maxMachines: machines, watchModel: false, publishRejected: false })
const before = process.memoryUsage().rss
// Readings are made one at a time (AI4I-like ranges), so that what stays in memory is the detector's state.
const random = new Random(5)
const ids = Array.from({ length: machines }, (_, i) => `machine-${i + 1}`)
const start = Date.now() - 3_600_000
for (let seq = 0; seq < perMachine; seq++) {
  for (const machineId of ids) {
    const air = 25 + random.normal(0, 2)
    const reading = { machineId, ts: start + seq * 1000, seq, airTemperature: air, temperature: air + 10 + random.normal(0, 1), rpm: 1540 + random.normal(0, 180), torque: Math.max(0, 40 + random.normal(0, 10)), toolWear: random.uniform(0, 200), humidity: 50 + random.normal(0, 5) }
    detector.pipeline.process(`factory/${machineId}/telemetry`, Buffer.from(JSON.stringify(reading)))
  }
}
const gc = (globalThis as { gc?: () => void }).gc
for (let i = 0; i < 3; i++) gc?.()
await new Promise((resolve) => setTimeout(resolve, 200))
gc?.()
const stats = detector.stats()
const window = detector.pipeline.machines.windows[0]?.count ?? 0
process.stdout.write(JSON.stringify({ rssMb: process.memoryUsage().rss / 1048576, beforeMb: before / 1048576, heapMb: process.memoryUsage().heapUsed / 1048576, machines: stats.machines, scored: stats.scored, window }) + '\n')
await detector.close()
process.exit(0)

/**
 * Benchmark publisher (its own process): publishes telemetry with QoS 1 over a bare socket, at full speed
 * with a bounded window of unacknowledged messages, or at a fixed rate. In latency mode it also
 * subscribes to the anomaly events and measures publish-to-event time per event.
 * Input: one JSON argument; output: one JSON line on stdout.
 */
import mqttPacket from 'mqtt-packet'
import { benchReadings } from './fixtures.js'
import { publishPacket, pubackPacket, rawConnect, subscribePacket } from './mqtt-raw.js'

interface Args { port: number, machines: number, perMachine: number, rate: number, window: number, observe: boolean, flipEvery: number }
const args = JSON.parse(process.argv[2]) as Args

const readings = benchReadings(args.machines, args.perMachine, Date.now() - 3_600_000)
if (args.flipEvery > 0) {
  // Machines alternate between blocks of normal and far-out readings, so that with k = m = 1 the first
  // reading of every block changes the machine's state and yields an event.
  readings.forEach((r, i) => { if (Math.floor(i / args.machines / args.flipEvery) % 2 === 1) { r.rpm = 2900; r.torque = 3; r.temperature = r.airTemperature + 30 } })
}
const packets = readings.map((r, i) => publishPacket(`factory/${r.machineId}/telemetry`, JSON.stringify(r), (i % 65535) + 1))
const sentAt = new Float64Array(readings.length)
const index = new Map<string, number>()
if (args.observe) readings.forEach((r, i) => index.set(`${r.machineId}:${r.seq}`, i))

const latencies: number[] = []
if (args.observe) {
  const observer = await rawConnect(args.port, 'bench-event-observer')
  observer.onPacket = (p) => {
    if (p.cmd !== 'publish') return
    const now = performance.now()
    const event = JSON.parse(String(p.payload)) as { machineId: string, seq: number }
    const i = index.get(`${event.machineId}:${event.seq}`)
    if (i !== undefined) latencies.push(now - sentAt[i])
    if (p.qos === 1 && p.messageId !== undefined) observer.socket.write(pubackPacket(p.messageId))
  }
  await new Promise<void>((resolve) => {
    const prev = observer.onPacket
    observer.onPacket = (p) => { if (p.cmd === 'suback') { observer.onPacket = prev; resolve() } else prev(p) }
    observer.socket.write(subscribePacket('factory/+/anomalies', 1))
  })
}

const client = await rawConnect(args.port, 'bench-publisher')
let acked = 0
let sent = 0
const startedAt = Date.now()
await new Promise<void>((resolve) => {
  client.onPacket = (p: mqttPacket.Packet) => {
    if (p.cmd !== 'puback') return
    acked++
    if (acked === packets.length) resolve()
    else if (args.rate === 0) pump()
  }
  const pump = (): void => {
    let chunk: Buffer[] = []
    while (sent < packets.length && sent - acked < args.window) {
      sentAt[sent] = performance.now()
      chunk.push(packets[sent++])
      if (chunk.length === 64) { client.socket.write(Buffer.concat(chunk)); chunk = [] }
    }
    if (chunk.length > 0) client.socket.write(Buffer.concat(chunk))
  }
  if (args.rate === 0) {
    pump()
    return
  }
  // Fixed rate: a tick every 2 ms sends what is due by then.
  const t0 = performance.now()
  const timer = setInterval(() => {
    const due = Math.min(packets.length, Math.floor((performance.now() - t0) * args.rate / 1000))
    while (sent < due) {
      sentAt[sent] = performance.now()
      client.socket.write(packets[sent++])
    }
    if (sent === packets.length) clearInterval(timer)
  }, 2)
})
const finishedAt = Date.now()
if (args.observe) await new Promise((resolve) => setTimeout(resolve, 1000))
const sorted = Float64Array.from(latencies).sort()
const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]
const result = { published: packets.length, acked, startedAt, finishedAt, events: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] }
process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0))

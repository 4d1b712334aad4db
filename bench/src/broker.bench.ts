/**
 * Broker sizes for docs/scaling.md: throughput (QoS 0 and 1, one publisher to one subscriber),
 * publish-to-delivery latency, and memory per idle connection, for factory-broker (a child process,
 * as deployed) and, when installed, Debian's Mosquitto with the repository's mosquitto.conf.
 * The clients run in this process on raw sockets with pre-encoded packets, so that the broker, not the
 * client library, is what is measured.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { connect as connectTcp, type Socket } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqttPacket from 'mqtt-packet'
import { freePort, type BenchContext } from './harness.js'
import { memoryReducerRuns, peakRssDuring, settledRss } from './settled-memory.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const BIN = join(root, 'broker/dist/src/bin/factory-broker.js')
const PAYLOAD = Buffer.from(JSON.stringify({ machineId: 'machine-1', ts: 1764012345000, seq: 1, temperature: 310.2, airTemperature: 300.1, rpm: 1538, torque: 40.2, toolWear: 108, humidity: 41.5, productType: 'M' }))

function open (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connectTcp(port, '127.0.0.1')
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
}

/** Connects with CONNECT and waits for CONNACK; `onPacket` sees every later packet. */
async function client (port: number, clientId: string, onPacket: (p: mqttPacket.Packet, socket: Socket) => void = () => {}): Promise<Socket> {
  const socket = await open(port)
  socket.setNoDelay(true)
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  await new Promise<void>((resolve, reject) => {
    parser.on('packet', (p) => {
      if (p.cmd === 'connack') {
        if ((p as mqttPacket.IConnackPacket).returnCode !== 0) reject(new Error(`CONNACK ${(p as mqttPacket.IConnackPacket).returnCode}`))
        else resolve()
      } else onPacket(p, socket)
    })
    socket.on('data', (d) => parser.parse(d))
    socket.on('error', reject)
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 0 }))
  })
  return socket
}

async function subscribe (socket: Socket, topic: string, qos: 0 | 1): Promise<void> {
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] }))
  await new Promise((resolve) => setTimeout(resolve, 100))
}

export interface Broker {
  port: number
  pid: number
  stop: () => Promise<void>
  /** With `watchGc`: how many collections of V8's memory reducer the broker has run so far. */
  memoryReducerRuns?: () => number
}

async function waitPort (port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15000
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      (await open(port)).destroy()
      return
    } catch { await new Promise((resolve) => setTimeout(resolve, 50)) }
  }
  throw new Error('broker did not start')
}

function stopper (child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
}

/**
 * factory-broker as its own process; `nodeFlags` and `cwd` for the heap snapshots of broker-heap.bench.ts;
 * `watchGc` runs it with `--trace-gc` to count the collections of V8's memory reducer (settled-memory.ts).
 */
export async function startFactoryBroker (extra: string[] = [], nodeFlags: string[] = [], cwd?: string, { watchGc = false } = {}): Promise<Broker> {
  const port = await freePort()
  const child = spawn(process.execPath, [...nodeFlags, ...(watchGc ? ['--trace-gc'] : []), BIN, '--port', String(port), '--no-ws', '--http-port', '-1', '--log-level', 'warn', '--max-connections', '20000', ...extra], { stdio: ['ignore', watchGc ? 'pipe' : 'ignore', 'ignore'], cwd })
  const countReducerRuns = watchGc ? memoryReducerRuns(child.stdout ?? undefined) : undefined
  await waitPort(port, child)
  return { port, pid: child.pid ?? 0, stop: stopper(child), ...(countReducerRuns !== undefined ? { memoryReducerRuns: countReducerRuns } : {}) }
}

async function startMosquitto (dir: string): Promise<Broker> {
  const port = await freePort()
  const wsPort = await freePort()
  let n = 0
  const conf = (await readFile(join(root, 'mosquitto.conf'), 'utf8')).split('\n').map((line) => {
    const key = line.trim().split(/\s+/)[0]
    if (key === 'listener') return `listener ${n++ === 0 ? port : wsPort} 127.0.0.1`
    if (key === 'password_file' || key === 'acl_file') return ''
    if (key === 'allow_anonymous') return 'allow_anonymous true'
    if (key === 'persistence_location') return `persistence_location ${dir}/`
    if (key.startsWith('log_type') || key === 'connection_messages') return ''
    return line
  }).join('\n') + `\nlog_type error\nconnection_messages false\nuser ${userInfo().username}\n`
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'mosquitto.conf'), conf)
  const child = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' })
  await waitPort(port, child)
  return { port, pid: child.pid ?? 0, stop: stopper(child) }
}

/** Messages per second delivered from one publisher to one subscriber (on another node if `subPort`). */
async function throughput (port: number, qos: 0 | 1, count: number, subPort = port): Promise<number> {
  let received = 0
  let done: () => void = () => {}
  const finished = new Promise<void>((resolve) => { done = resolve })
  const sub = await client(subPort, `bench-sub-${qos}`, (p, socket) => {
    if (p.cmd !== 'publish') return
    received++
    if (qos === 1) socket.write(mqttPacket.generate({ cmd: 'puback', messageId: (p as mqttPacket.IPublishPacket).messageId ?? 0 }))
    if (received === count) done()
  })
  await subscribe(sub, 'factory/+/telemetry', qos)
  let acked = 0
  const pub = await client(port, `bench-pub-${qos}`, (p) => { if (p.cmd === 'puback') acked++ })
  const start = process.hrtime.bigint()
  // Batches of pre-encoded packets, with backpressure, and at most 1000 QoS 1 messages unacknowledged.
  const batch = 100
  for (let sent = 0; sent < count; sent += batch) {
    const packets: Buffer[] = []
    for (let i = 0; i < batch && sent + i < count; i++) {
      packets.push(mqttPacket.generate({ cmd: 'publish', topic: 'factory/machine-1/telemetry', payload: PAYLOAD, qos, messageId: qos === 1 ? ((sent + i) % 65535) + 1 : undefined, retain: false, dup: false }))
    }
    if (!pub.write(Buffer.concat(packets))) await new Promise((resolve) => pub.once('drain', resolve))
    // eslint-disable-next-line no-unmodified-loop-condition -- the puback handler counts acked during the await
    while (qos === 1 && sent - acked > 1000) await new Promise((resolve) => setImmediate(resolve))
  }
  const timeout = setTimeout(done, 30000)
  await finished
  clearTimeout(timeout)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  pub.destroy()
  sub.destroy()
  if (received < count) throw new Error(`only ${received} of ${count} messages delivered`)
  return count / seconds
}

/** Publish-to-delivery latency percentiles (ms) at a steady rate. */
async function latency (port: number, rate: number, seconds: number): Promise<{ p50: number, p99: number }> {
  const samples: number[] = []
  const sub = await client(port, 'bench-lat-sub', (p, socket) => {
    if (p.cmd !== 'publish') return
    const packet = p as mqttPacket.IPublishPacket
    socket.write(mqttPacket.generate({ cmd: 'puback', messageId: packet.messageId ?? 0 }))
    const sentAt = Number((packet.payload as Buffer).readBigUInt64BE(0))
    samples.push(Number(process.hrtime.bigint() - BigInt(sentAt)) / 1e6)
  })
  await subscribe(sub, 'factory/+/telemetry', 1)
  const pub = await client(port, 'bench-lat-pub')
  const total = rate * seconds
  for (let i = 0; i < total; i++) {
    const payload = Buffer.concat([Buffer.alloc(8), PAYLOAD])
    payload.writeBigUInt64BE(process.hrtime.bigint(), 0)
    pub.write(mqttPacket.generate({ cmd: 'publish', topic: 'factory/machine-1/telemetry', payload, qos: 1, messageId: (i % 65535) + 1, retain: false, dup: false }))
    await new Promise((resolve) => setTimeout(resolve, 1000 / rate))
  }
  await new Promise((resolve) => setTimeout(resolve, 300))
  pub.destroy()
  sub.destroy()
  samples.sort((a, b) => a - b)
  return { p50: samples[Math.floor(samples.length * 0.5)], p99: samples[Math.floor(samples.length * 0.99)] }
}

/** `n` idle clients (keep-alive 0), each with one QoS 1 subscription of its own, 50 connecting at a time. */
export async function connectIdleClients (port: number, n: number, prefix = 'idle'): Promise<Socket[]> {
  const sockets: Socket[] = []
  for (let i = 0; i < n; i += 50) {
    sockets.push(...await Promise.all(Array.from({ length: Math.min(50, n - i) }, async (_, j) => {
      const s = await client(port, `${prefix}-${i + j}`)
      await subscribe(s, `factory/${prefix}-${i + j}/anomalies`, 1)
      return s
    })))
  }
  return sockets
}

/**
 * Resident memory per idle client (KiB) of a fresh broker from `start`: the settled size with `n` idle
 * clients minus the settled size before them (settled-memory.ts says what settled means), and the
 * highest size during the connect burst minus the same baseline.
 */
async function memoryPerIdleClient (start: () => Promise<Broker>, n: number, label: string): Promise<{ settled: number, burst: number }> {
  const broker = await start()
  try {
    const before = await settledRss(broker.pid, broker.memoryReducerRuns)
    const { result: sockets, peak } = await peakRssDuring(broker.pid, async () => await connectIdleClients(broker.port, n))
    const after = await settledRss(broker.pid, broker.memoryReducerRuns)
    for (const s of sockets) s.destroy()
    for (const [what, wait] of [['baseline', before], ['with clients', after]] as const) {
      if (!wait.settled) process.stderr.write(`broker.bench: ${label}'s resident memory (${what}) did not settle within ${wait.seconds.toFixed(0)} s; its per-client figure is not a settled one\n`)
    }
    return { settled: (after.rss - before.rss) / 1024 / n, burst: (peak - before.rss) / 1024 / n }
  } finally {
    await broker.stop()
  }
}

export default async function (ctx: BenchContext): Promise<void> {
  const count = ctx.quick ? 10000 : 50000
  const idle = ctx.quick ? 500 : 2000
  const dir = await mkdtemp(join(tmpdir(), 'broker-bench-'))
  try {
    for (const [label, extra] of [['factory-broker', []], ['factory-broker no packet-size check', ['--max-packet-size', '0']]] as const) {
      const broker = await startFactoryBroker([...extra])
      try {
        ctx.report(`broker ${label}: QoS 0 throughput`, await throughput(broker.port, 0, count), 'msg/s')
        if (extra.length > 0) continue
        ctx.report(`broker ${label}: QoS 1 throughput`, await throughput(broker.port, 1, count), 'msg/s')
        const lat = await latency(broker.port, 500, ctx.quick ? 1 : 2)
        ctx.report(`broker ${label}: QoS 1 latency p50 at 500 msg/s`, lat.p50, 'ms')
        ctx.report(`broker ${label}: QoS 1 latency p99 at 500 msg/s`, lat.p99, 'ms')
      } finally {
        await broker.stop()
      }
    }
    // Target (issue 17): 8 KiB. docs/scaling.md says where it goes.
    const memory = await memoryPerIdleClient(async () => await startFactoryBroker([], [], undefined, { watchGc: true }), idle, 'factory-broker')
    ctx.report('broker.memory_per_idle_client_kib', memory.settled, 'KiB')
    ctx.report('broker.memory_per_client_connect_burst_kib', memory.burst, 'KiB')
    const level = await startFactoryBroker(['--persistence', 'level', '--persistence-dir', join(dir, 'level')])
    try {
      ctx.report('broker factory-broker level store: QoS 1 throughput', await throughput(level.port, 1, count / 2), 'msg/s')
    } finally {
      await level.stop()
    }
    if (existsSync('/usr/bin/redis-server')) {
      const redisPort = await freePort()
      const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
      try {
        await waitPort(redisPort, redis)
        const cluster = ['--persistence', 'redis', '--redis-url', `redis://127.0.0.1:${redisPort}`]
        const a = await startFactoryBroker(cluster)
        const b = await startFactoryBroker(cluster)
        try {
          ctx.report('broker cluster of 2 on Redis: QoS 0 throughput node A to node B', await throughput(a.port, 0, count / 2, b.port), 'msg/s')
          ctx.report('broker cluster of 2 on Redis: QoS 1 throughput node A to node B', await throughput(a.port, 1, count / 2, b.port), 'msg/s')
        } finally {
          await Promise.all([a.stop(), b.stop()])
        }
      } finally {
        await stopper(redis)()
      }
    }
    if (existsSync('/usr/sbin/mosquitto')) {
      const mosquitto = await startMosquitto(join(dir, 'mosquitto'))
      try {
        ctx.report('broker mosquitto: QoS 0 throughput', await throughput(mosquitto.port, 0, count), 'msg/s')
        ctx.report('broker mosquitto: QoS 1 throughput', await throughput(mosquitto.port, 1, count), 'msg/s')
        const lat = await latency(mosquitto.port, 500, ctx.quick ? 1 : 2)
        ctx.report('broker mosquitto: QoS 1 latency p50 at 500 msg/s', lat.p50, 'ms')
        ctx.report('broker mosquitto: QoS 1 latency p99 at 500 msg/s', lat.p99, 'ms')
      } finally {
        await mosquitto.stop()
      }
      const memory = await memoryPerIdleClient(async () => await startMosquitto(join(dir, 'mosquitto-memory')), idle, 'Mosquitto')
      ctx.report('broker mosquitto: memory per idle client', memory.settled, 'KiB')
      ctx.report('broker mosquitto: memory per client during the connect burst', memory.burst, 'KiB')
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

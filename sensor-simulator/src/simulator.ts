import { randomBytes } from 'node:crypto'
import { machineTopic } from '@factory-edge/shared/contract'
import { createLogger, type Logger } from '@factory-edge/shared/runtime'
import { createMachines, fleetMembers, perReadingProbability, readingTime } from './fleet.js'
import type { MachineBase } from './machine-base.js'
import type { FleetPart, MachineKind } from './kind.js'
import { FaultEffect } from './failures/sensor-fault.js'
import { MqttLink, type ConnectionOptions } from './mqtt/link.js'
import { encodeStatus, encodeTruth } from './payload.js'
import { FleetScheduler } from './scheduler.js'
import { parseInjectionMode, parseScenario, ScenarioSchedule, type InjectionMode, type Scenario } from './scenario.js'
import { SIMULATOR_DEFAULTS } from './defaults.js'

/** Largest fleet that `connection: 'auto'` gives one connection per machine. */
export const AUTO_PER_MACHINE_LIMIT = SIMULATOR_DEFAULTS.run.autoPerMachineLimit

/** Options of startSimulator; each default is in {@link SIMULATOR_DEFAULTS}. */
export interface SimulatorOptions extends ConnectionOptions {
  /** A count (ids machine-1 … machine-N, pump-1 … pump-N for pumps) or the ids, all of `kind`. */
  machines: number | readonly string[]
  /** The kind of machine of `machines` (default ai4i). */
  kind?: MachineKind
  /** A mixed fleet, e.g. 5 AI4I machines and 5 pumps: replaces `machines` and `kind`. */
  kinds?: readonly FleetPart[]
  /** Readings per second per machine. */
  rateHz?: number
  /** Seed of every random stream; the same seed (and startTs) gives the same bytes. Default: random, logged. */
  seed?: number
  topicPrefix?: string
  /** Scripted injections, e.g. `overheat:machine-3@30s` or `stuck:machine-1@10s+20s`. */
  scenarios?: ReadonlyArray<string | Scenario>
  /** Random machine failures per machine-hour (0 = none). */
  failureRate?: number
  /** Random sensor faults per machine-hour (0 = none). */
  sensorFaultRate?: number
  /**
   * `per-machine`: one MQTT client per machine, each with its own last will. `shared`: one client for the
   * fleet (about 0.2 MB less per machine; MQTT allows one will per connection, so machines are marked
   * offline only by a clean stop). `auto`: per-machine up to AUTO_PER_MACHINE_LIMIT machines, shared above.
   */
  connection?: 'auto' | 'per-machine' | 'shared'
  /** Client id, or its prefix with per-machine connections (`<clientId>-<machineId>`). Default `<clientIdPrefix>-<random>`. */
  clientId?: string
  /** Messages kept per connection while the broker is unreachable or slower than the readings; the oldest are dropped beyond it. */
  queueLimit?: number
  /** Timestamp of the first reading; default now. Readings are stamped with their scheduled time. */
  startTs?: number
  /** How long startSimulator waits for the first connection before it starts anyway, queuing. */
  connectWaitMs?: number
  logger?: Logger
}

/** Counters of a running simulator. */
export interface SimulatorStats {
  /** Readings taken (including those a sensor fault suppressed). */
  readings: number
  /** Messages handed to a connected MQTT client (telemetry, faulty payloads, ground truth). */
  published: number
  /** Messages waiting for a connection. */
  queued: number
  /** Messages dropped from a full queue while disconnected. */
  dropped: number
  /** Messages given up unacknowledged: QoS 1 ones still in flight when stop() stopped waiting (they survive reconnections), QoS 0 ones on a connection that broke. */
  lost: number
  /** Readings a dropout fault suppressed on purpose. */
  suppressed: number
  /** Ground-truth events published. */
  truthEvents: number
  /** Connections up / total. */
  connected: number
  connections: number
}

export interface SimulatorHandle {
  readonly machineIds: readonly string[]
  readonly seed: number
  /** Starts a machine failure (AI4I code or alias such as `overheat`) or a sensor fault with the machine's next reading. */
  injectFailure: (machineId: string, mode: InjectionMode | string, readings?: number) => void
  stats: () => SimulatorStats
  /** Stops the readings, marks every machine `offline` (retained) and disconnects. */
  stop: () => Promise<void>
}

/** Starts simulated machines publishing telemetry to an MQTT broker. */
export async function startSimulator (options: SimulatorOptions): Promise<SimulatorHandle> {
  const members = fleetMembers(options.machines, options.kind, options.kinds)
  const ids = members.map((m) => m.id)
  const rateHz = options.rateHz ?? SIMULATOR_DEFAULTS.run.rateHz
  if (!(rateHz > 0 && rateHz <= 1000)) throw new RangeError(`rateHz must be > 0 and <= 1000, got ${rateHz}`)
  const intervalMs = 1000 / rateHz
  const prefix = options.topicPrefix ?? SIMULATOR_DEFAULTS.topicPrefix
  const seed = options.seed ?? randomBytes(4).readUInt32LE(0)
  const logger = options.logger ?? createLogger('sensor-simulator')
  const scenarios = (options.scenarios ?? []).map((s) => typeof s === 'string' ? parseScenario(s) : s)
  const machines = createMachines(members, seed, {
    healthyOnly: true,
    intervalMs,
    failureProbability: perReadingProbability(options.failureRate ?? SIMULATOR_DEFAULTS.run.failureRate, rateHz),
    faultProbability: perReadingProbability(options.sensorFaultRate ?? SIMULATOR_DEFAULTS.run.sensorFaultRate, rateHz)
  })
  const schedule = new ScenarioSchedule(scenarios, ids, rateHz, (i, mode) => machines[i].accepts(mode))
  const n = machines.length
  const telemetryTopics = ids.map((id) => machineTopic('telemetry', id, prefix))
  const truthTopics = ids.map((id) => machineTopic('truth', id, prefix))
  const statusTopics = ids.map((id) => machineTopic('status', id, prefix))
  const index = new Map(ids.map((id, i) => [id, i]))

  const clientId = options.clientId ?? `${SIMULATOR_DEFAULTS.clientIdPrefix}-${randomBytes(4).toString('hex')}`
  const queueLimit = options.queueLimit ?? SIMULATOR_DEFAULTS.queueLimit
  const connection = options.connection ?? SIMULATOR_DEFAULTS.run.connection
  const perMachine = connection === 'per-machine' || (connection === 'auto' && n <= AUTO_PER_MACHINE_LIMIT)
  const links: MqttLink[] = []
  /** The link of each machine. */
  const linkOf: MqttLink[] = new Array(n)
  const publishOnline = (from: number, to: number, link: MqttLink): void => {
    const ts = Date.now()
    for (let i = from; i < to; i++) link.publishRetained(statusTopics[i], encodeStatus(ids[i], 'online', ts))
  }
  if (perMachine) {
    for (let i = 0; i < n; i++) {
      const link: MqttLink = new MqttLink({
        ...options,
        clientId: `${clientId}-${ids[i]}`,
        queueLimit,
        logger,
        will: { topic: statusTopics[i], payload: encodeStatus(ids[i], 'offline', Date.now()) },
        onConnect: () => publishOnline(i, i + 1, link)
      })
      links.push(link)
      linkOf[i] = link
    }
  } else {
    const link: MqttLink = new MqttLink({ ...options, clientId, queueLimit, logger, onConnect: () => publishOnline(0, n, link) })
    links.push(link)
    linkOf.fill(link)
  }

  let readings = 0
  let suppressed = 0
  let truthEvents = 0
  const startTs = options.startTs ?? Date.now()

  const publishTruth = (i: number, m: MachineBase): void => {
    for (const t of m.truth) {
      linkOf[i].publishReliable(truthTopics[i], encodeTruth(t))
      truthEvents++
      logger.info({ machineId: t.machineId, kind: t.kind, mode: t.mode, phase: t.phase, seq: t.seq }, `${t.kind === 'failure' ? 'failure' : 'sensor fault'} ${t.mode} ${t.phase === 'start' ? 'starts' : 'ends'}`)
    }
    m.truth.length = 0
  }

  const onSlot = (i: number, cycle: number): void => {
    const m = machines[i]
    schedule.apply(i, cycle, m)
    const effect = m.step(readingTime(startTs, intervalMs, cycle, i, n))
    readings++
    if (m.truth.length > 0) publishTruth(i, m)
    switch (effect) {
      case FaultEffect.Publish:
        linkOf[i].publish(telemetryTopics[i], m.encode())
        break
      case FaultEffect.Drop:
        suppressed++
        break
      case FaultEffect.NaN:
        linkOf[i].publish(telemetryTopics[i], m.encode(m.fault?.signal))
        break
      case FaultEffect.Garbage:
        linkOf[i].publish(telemetryTopics[i], m.garbage())
        break
    }
  }
  const scheduler = new FleetScheduler({ machines: n, rateHz }, onSlot)

  const connectWaitMs = options.connectWaitMs ?? SIMULATOR_DEFAULTS.connectWaitMs
  try {
    await Promise.all(links.map(async (l) => await l.waitConnected(connectWaitMs)))
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'broker not reachable yet: starting anyway, readings are queued until it is')
  }
  logger.info({ machines: n, kinds: kindCounts(machines), rateHz, seed, brokerUrl: options.brokerUrl, connection: perMachine ? 'per-machine' : 'shared', scenarios: scenarios.length, failureRate: options.failureRate ?? SIMULATOR_DEFAULTS.run.failureRate }, 'simulator started')
  scheduler.start()

  let stopped: Promise<void> | undefined
  return {
    machineIds: ids,
    seed,
    injectFailure (machineId: string, mode: string, readings?: number): void {
      const i = index.get(machineId)
      if (i === undefined) throw new RangeError(`unknown machine ${JSON.stringify(machineId)}`)
      const resolved = parseInjectionMode(mode)
      if (resolved === undefined) throw new RangeError(`unknown failure or fault mode ${JSON.stringify(mode)}`)
      if (!machines[i].accepts(resolved)) throw new RangeError(`${machineId} (${machines[i].kind}) cannot have ${resolved}`)
      machines[i].inject(resolved, readings)
    },
    stats (): SimulatorStats {
      let published = 0
      let queued = 0
      let dropped = 0
      let lost = 0
      let connected = 0
      for (const l of links) {
        published += l.published
        queued += l.queued
        dropped += l.dropped
        lost += l.lost
        if (l.connected) connected++
      }
      return { readings, published, queued, dropped, lost, suppressed, truthEvents, connected, connections: links.length }
    },
    async stop (): Promise<void> {
      stopped ??= (async () => {
        scheduler.stop()
        const ts = Date.now()
        const offline = (i: number): { topic: string, payload: string } => ({ topic: statusTopics[i], payload: encodeStatus(ids[i], 'offline', ts) })
        await Promise.all(links.map(async (l, li) => await l.close(perMachine ? [offline(li)] : ids.map((_, i) => offline(i)))))
        logger.info({ readings }, 'simulator stopped')
      })()
      await stopped
    }
  }
}

/** How many machines of each kind, for the start-up log line. */
function kindCounts (machines: readonly MachineBase[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of machines) out[m.kind] = (out[m.kind] ?? 0) + 1
  return out
}

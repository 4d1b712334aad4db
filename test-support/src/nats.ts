import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect } from 'nats'
import { natsPartitionMapping } from '@factory-edge/shared/contract'
import { freePort, portOpen } from './ports.js'
import { startServerProcess, type ExternalServer } from './server-process.js'
import { tempDir } from './temp-dir.js'
import { eventually } from './wait.js'

export const NATS_SERVER = '/usr/sbin/nats-server'

/** One node of the cluster: `url` is its NATS client URL, `mqttUrl` its MQTT listener, `monitorUrl` its HTTP monitoring (/varz, /connz). */
export interface NatsNode extends ExternalServer {
  name: string
  mqttUrl: string
  monitorUrl: string
}

export interface NatsCluster {
  nodes: NatsNode[]
  /** The client URLs of every node, for a client that fails over between them. */
  servers: string[]
  stop: () => Promise<void>
  cleanup: () => Promise<void>
}

export interface NatsClusterOptions {
  /** Nodes (default 3: a replicated stream of R3 survives one lost node). */
  size?: number
  /** Partitions of the telemetry subjects (the server-side mapping); default 4. */
  partitions?: number
  /** Config lines appended to every node's configuration. */
  lines?: string[]
  /**
   * Clients must log in: these users (name → password) in every node's `authorization` block. The
   * first one is the login `waitForJetStream` uses.
   */
  users?: Record<string, string>
}

/**
 * Debian's nats-server as a cluster on free loopback ports: JetStream (file store in the temp dir),
 * the MQTT listener, and the telemetry partition mapping on every node. Resolves once JetStream has a
 * meta leader and places a stream on every node (streams of any replica count can be created).
 */
export async function startNatsCluster (options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = options.size ?? 3
  const dir = await tempDir('nats-')
  const ports: Array<{ client: number, cluster: number, mqtt: number, monitor: number }> = []
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), cluster: await freePort(), mqtt: await freePort(), monitor: await freePort() })
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.cluster}`).join(', ')
  const mapping = natsPartitionMapping(options.partitions ?? 4)
  const authorization = options.users === undefined
    ? []
    : [`authorization { users = [ ${Object.entries(options.users).map(([user, password]) => `{ user: ${JSON.stringify(user)}, password: ${JSON.stringify(password)} }`).join(', ')} ] }`]
  const login = Object.entries(options.users ?? {})[0]
  const nodes: NatsNode[] = []
  const stop = async (): Promise<void> => { await Promise.all(nodes.map(async (n) => await n.stop())) }
  try {
    await startNodes()
  } catch (err) {
    // A node that did not come up must not leave the others running after the test.
    await stop()
    await dir.cleanup()
    throw err
  }
  return { nodes, servers: nodes.map((n) => n.url), stop, cleanup: dir.cleanup }

  async function startNodes (): Promise<void> {
    for (let i = 0; i < size; i++) {
      const name = `n${i + 1}`
      const conf = join(dir.dir, `${name}.conf`)
      await writeFile(conf, [
        `server_name: ${name}`,
        `log_file: "${join(dir.dir, `${name}.log`)}"`,
        `listen: 127.0.0.1:${ports[i].client}`,
        `http: 127.0.0.1:${ports[i].monitor}`,
        `jetstream { store_dir: "${join(dir.dir, name)}" }`,
        `cluster { name: factory-edge-test, listen: 127.0.0.1:${ports[i].cluster}, routes: [${routes}] }`,
        // MQTT needs JetStream and a server name; its own session streams are replicated like ours.
        `mqtt { listen: 127.0.0.1:${ports[i].mqtt} }`,
        `mappings { "${mapping.from}": "${mapping.to}" }`,
        ...authorization,
        ...options.lines ?? []
      ].join('\n') + '\n')
      const url = `nats://127.0.0.1:${ports[i].client}`
      const server = await withLog(dir.dir, name, async () => await startServerProcess(`nats-server ${name}`, NATS_SERVER, ['-c', conf], ports[i].client, url, { dir: dir.dir, cleanup: async () => {} }))
      const mqttPort = ports[i].mqtt
      const restart = async (): Promise<void> => {
        await server.restart()
        await eventually(async () => await portOpen(mqttPort), 20_000, `${name} MQTT listener`)
      }
      nodes.push({ ...server, restart, name, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, monitorUrl: `http://127.0.0.1:${ports[i].monitor}` })
    }
    for (const node of nodes) await withLog(dir.dir, node.name, async () => await eventually(async () => await portOpen(Number(new URL(node.mqttUrl).port)), 20_000, `${node.name} MQTT listener`))
    await waitForJetStream(nodes.map((n) => n.url), 30_000, login === undefined ? {} : { user: login[0], pass: login[1] }, size)
  }
}

/** Runs `fn`; if it fails, the error says what the node logged last (a port taken, a bad config line). */
async function withLog<T> (dir: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const log = await readFile(join(dir, `${name}.log`), 'utf8').catch(() => '(no log)')
    throw new Error(`${(err as Error).message}\n${name} logged:\n${log.split('\n').slice(-15).join('\n')}`)
  }
}

/**
 * Polls until the cluster's JetStream answers an account request (it has elected its meta leader) and,
 * with `replicas`, can place a stream of that many replicas: right after the election the leader may not
 * know every node's JetStream yet and refuses an R3 stream ("no suitable peers for placement").
 */
export async function waitForJetStream (servers: string[], timeoutMs = 30_000, login: { user?: string, pass?: string } = {}, replicas = 1): Promise<void> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, ...login })
  try {
    await eventually(async () => {
      try {
        const jsm = await nc.jetstreamManager({ timeout: 2000 })
        await jsm.getAccountInfo()
        if (replicas > 1) {
          await jsm.streams.add({ name: 'PLACEMENT_PROBE', subjects: ['placement-probe'], num_replicas: replicas })
          await jsm.streams.delete('PLACEMENT_PROBE')
        }
        return true
      } catch {
        return false
      }
    }, timeoutMs, `JetStream meta leader${replicas > 1 ? ` placing ${replicas} replicas` : ''}`)
  } finally {
    await nc.close()
  }
}

import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { Duplex } from 'node:stream'
import { Aedes, type Client } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'
import { ConfigError } from '@factory-edge/shared/errors'
import { createLogger, packageVersion, settingName, type Logger } from '@factory-edge/shared/runtime'
import { closeServer, listen, startOpsServer, type OpsServer } from '@factory-edge/shared/ops'
import { loadAcl } from './auth/acl.js'
import { loadPasswordFile } from './auth/password-file.js'
import { createAuth } from './auth/handlers.js'
import { dropRefusedPublishes } from './auth/refused-publish.js'
import { conformanceHooks } from './protocol/conformance.js'
import { PacketTooLargeError, ProtocolViolationError } from './errors.js'
import { brokerConfigSpec } from './config.js'
import { BROKER_DEFAULTS } from './defaults.js'
import { BrokerMetrics, createBrokerRegistry } from './observability/metrics.js'
import { publishSysTopics } from './observability/sys-topics.js'
import { openStorage, type PersistenceKind } from './storage/persistence.js'
import { acknowledgeAfterStore } from './storage/ack-after-store.js'
import { checkInbound } from './transport/inbound-check.js'
import { LiveConnections } from './transport/live-connections.js'
import { plainParserBuffer } from './transport/parser-buffer.js'
import { sharedClientListeners } from './transport/shared-listeners.js'
import { trimConnectedClients } from './transport/connected-client.js'
import { writeNumbersWithoutTable } from './transport/number-cache.js'
import { ignoreUnknownPubrec } from './storage/unknown-acks.js'
import { neverStoreUndeliverable } from './storage/never-store-undeliverable.js'
import { noDollarRetainedForWildcards } from './storage/dollar-retained.js'

/** Options of startBroker; a limit, port or address left out takes its value from {@link BROKER_DEFAULTS}. */
export interface BrokerOptions {
  /** Address of the MQTT, WebSocket and TLS listeners. */
  host?: string
  /** MQTT over TCP; 0 picks a free port. */
  port?: number
  /** MQTT over WebSocket; null or undefined = off (the CLI turns it on at `BROKER_DEFAULTS.wsPort`). */
  wsPort?: number | null
  /** MQTT over TLS, on when `tls` is given. */
  tlsPort?: number
  /** PEM files of the TLS listener; `ca` makes client certificates mandatory. */
  tls?: { certFile: string, keyFile: string, caFile?: string }
  /** `/healthz` and `/metrics`; null or undefined = off. */
  httpPort?: number | null
  /** Address of the HTTP endpoint. Default `host`. */
  httpHost?: string
  /** Password file (`user:hash` lines). */
  passwordFile?: string
  /** ACL file in Mosquitto syntax; without one every authenticated client may do anything. */
  aclFile?: string
  /**
   * Accept clients without a user name. Default: true only when there is no password file and `host`
   * is a loopback address (like Mosquitto 2's local-only mode); otherwise false.
   */
  allowAnonymous?: boolean
  /** Largest packet in bytes; 0 = no limit. */
  maxPacketSize?: number
  /** Open connections over all listeners; 0 = no limit. */
  maxConnections?: number
  /** Largest keep-alive (seconds) a client may ask for; 0 = no limit. */
  maxKeepalive?: number
  /** Milliseconds a connection has to send CONNECT. */
  connectTimeout?: number
  /** Seconds between $SYS/broker/… statistics (0 = none). */
  sysInterval?: number
  /** Milliseconds a client that does not read may hold up delivery before it is disconnected. */
  drainTimeout?: number
  /** Session store. */
  persistence?: PersistenceKind
  /** Directory of the `level` store. */
  persistenceDir?: string
  /** Redis URL of the `redis` store and cluster message bus. */
  redisUrl?: string
  /** Broker id, unique per cluster node. Default random. */
  brokerId?: string
  /**
   * How the embedding command names its port settings in the error of a port that cannot be used;
   * default factory-broker's flags (e.g. `--ws-port (env BROKER_WS_PORT)`).
   */
  portSettings?: Partial<Record<ListenerPort, string>>
  logger?: Logger
}

type ListenerPort = 'port' | 'wsPort' | 'tlsPort' | 'httpPort'

export interface BrokerHandle {
  /** mqtt://host:port of the TCP listener. */
  url: string
  /** Actual TCP port (useful with port 0). */
  port: number
  wsPort?: number
  tlsPort?: number
  httpPort?: number
  aedes: Aedes
  metrics: BrokerMetrics
  /**
   * Reads the password file and ACL again (what Mosquitto does on SIGHUP); on an error the old ones
   * stay in force and the promise rejects. Connected clients keep their connection.
   */
  reload (): Promise<void>
  /** Stops accepting, disconnects every client, flushes and closes the store. Idempotent. */
  close (): Promise<void>
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

/** Starts an MQTT broker with the given listeners, authentication, limits and persistence. */
export async function startBroker (options: BrokerOptions = {}): Promise<BrokerHandle> {
  const logger = options.logger ?? createLogger('broker')
  const portSetting = (port: ListenerPort): string => options.portSettings?.[port] ?? settingName(brokerConfigSpec[port])
  const host = options.host ?? BROKER_DEFAULTS.host
  const maxPacketSize = options.maxPacketSize ?? BROKER_DEFAULTS.maxPacketSize
  const maxConnections = options.maxConnections ?? BROKER_DEFAULTS.maxConnections
  const allowAnonymous = options.allowAnonymous ?? (options.passwordFile === undefined && LOOPBACK.test(host))
  if (options.passwordFile === undefined && !allowAnonymous && options.allowAnonymous === undefined) {
    throw new ConfigError(`no password file on the non-loopback address ${host}: set ${settingName(brokerConfigSpec.passwordFile)}, or ${settingName(brokerConfigSpec.allowAnonymous)} to accept anyone`)
  }

  const passwords = options.passwordFile !== undefined ? await loadPasswordFile(options.passwordFile) : undefined
  const acl = options.aclFile !== undefined ? await loadAcl(options.aclFile) : undefined
  const tlsFiles = options.tls !== undefined
    ? {
        cert: await readSettingFile(options.tls.certFile, settingName(brokerConfigSpec.tlsCert)),
        key: await readSettingFile(options.tls.keyFile, settingName(brokerConfigSpec.tlsKey)),
        ca: options.tls.caFile !== undefined ? await readSettingFile(options.tls.caFile, settingName(brokerConfigSpec.tlsCa)) : undefined
      }
    : undefined

  const storage = await openStorage({
    persistence: options.persistence ?? BROKER_DEFAULTS.persistence,
    persistenceDir: options.persistenceDir,
    redisUrl: options.redisUrl,
    logger
  })
  const metrics = new BrokerMetrics()
  writeNumbersWithoutTable()
  const auth = createAuth({ passwords, acl, allowAnonymous, logger, metrics })
  let aedes: Aedes
  try {
    aedes = await Aedes.createBroker({
      ...(options.brokerId !== undefined ? { id: options.brokerId } : {}),
      ...(storage.persistence !== undefined ? { persistence: storage.persistence } : {}),
      ...(storage.mq !== undefined ? { mq: storage.mq } : {}),
      keepaliveLimit: options.maxKeepalive ?? BROKER_DEFAULTS.maxKeepalive,
      connectTimeout: options.connectTimeout ?? BROKER_DEFAULTS.connectTimeoutMs,
      drainTimeout: options.drainTimeout ?? BROKER_DEFAULTS.drainTimeoutMs,
      maxClientsIdLength: 128,
      ...conformanceHooks(auth.hooks, { logger, metrics })
    })
  } catch (err) {
    await storage.close().catch(() => {})
    throw err
  }
  const { persistence } = aedes as unknown as { persistence: unknown }
  ignoreUnknownPubrec(persistence)
  neverStoreUndeliverable(persistence)
  noDollarRetainedForWildcards(persistence)
  dropRefusedPublishes(aedes)
  // With a durable store, a QoS 1 PUBACK is only sent once the message is stored.
  if ((options.persistence ?? BROKER_DEFAULTS.persistence) !== 'memory') acknowledgeAfterStore(aedes)
  observe(aedes, metrics, logger)
  trimConnectedClients(aedes)

  const connections = new LiveConnections()
  const stopSys = publishSysTopics(aedes, metrics, connections, `factory-broker ${brokerVersion()}`, options.sysInterval ?? BROKER_DEFAULTS.sysIntervalS)
  /** `socket` carries `stream`: the same object for TCP and TLS, the HTTP socket for WebSocket. */
  const accept = (stream: Duplex, socket: Socket, req?: IncomingMessage): void => {
    if (maxConnections > 0 && connections.size >= maxConnections) {
      metrics.connectionsRejected++
      logger.warn({ remote: socket.remoteAddress, maxConnections }, 'connection refused: max connections reached')
      stream.destroy()
      return
    }
    connections.add(stream, socket)
    metrics.connectionsAccepted++
    const client = aedes.handle(checkInbound(stream, maxPacketSize), req)
    plainParserBuffer(client)
    sharedClientListeners(client)
  }
  const onSocket = (socket: Socket): void => accept(socket, socket)

  const servers: Server[] = []
  let wss: WebSocketServer | undefined
  let ops: OpsServer | undefined
  const started: Partial<Pick<BrokerHandle, 'wsPort' | 'tlsPort' | 'httpPort'>> = {}
  let port: number
  try {
    // Nagle's algorithm held small MQTT packets back for tens of milliseconds (the detector's
    // publish-to-event median fell from about 21 ms to about 4 ms without it).
    const tcp = createTcpServer({ noDelay: true }, onSocket)
    servers.push(tcp)
    port = await listen(tcp, host, options.port ?? BROKER_DEFAULTS.port, { what: 'MQTT listener', setting: portSetting('port') })

    if (options.wsPort !== undefined && options.wsPort !== null) {
      const http = createHttpServer((_req, res) => { res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n') })
      servers.push(http)
      started.wsPort = await listen(http, host, options.wsPort, { what: 'WebSocket listener', setting: portSetting('wsPort') })
      // Attached once listening: ws re-emits the server's errors, a taken port among them, on itself.
      wss = new WebSocketServer({ server: http, maxPayload: maxPacketSize > 0 ? maxPacketSize : undefined })
      wss.on('connection', (socket, req) => {
        accept(createWebSocketStream(socket), req.socket, req)
      })
      wss.on('error', (err) => logger.error({ err: err.message }, 'WebSocket listener error'))
    }

    if (tlsFiles !== undefined) {
      let tls: Server
      try {
        tls = createTlsServer({
          noDelay: true,
          cert: tlsFiles.cert,
          key: tlsFiles.key,
          ...(tlsFiles.ca !== undefined ? { ca: tlsFiles.ca, requestCert: true, rejectUnauthorized: true } : {})
        }, onSocket)
      } catch (err) {
        throw new ConfigError(`the TLS certificate, key or CA (${settingName(brokerConfigSpec.tlsCert)}, ${settingName(brokerConfigSpec.tlsKey)}, ${settingName(brokerConfigSpec.tlsCa)}) cannot be used: ${(err as Error).message}`)
      }
      tls.on('tlsClientError', (err, socket) => logger.debug({ err: err.message, remote: socket.remoteAddress }, 'TLS handshake failed'))
      servers.push(tls)
      started.tlsPort = await listen(tls, host, options.tlsPort ?? BROKER_DEFAULTS.tlsPort, { what: 'TLS listener', setting: portSetting('tlsPort') })
    }

    if (options.httpPort !== undefined && options.httpPort !== null) {
      ops = await startOps(aedes, metrics, options.httpHost ?? host, options.httpPort, portSetting('httpPort'))
      started.httpPort = Number(new URL(ops.url).port)
    }
  } catch (err) {
    await shutdown(aedes, servers, wss, ops, connections, storage.close)
    throw err
  }

  const url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`
  logger.info({ url, ...started, persistence: options.persistence ?? BROKER_DEFAULTS.persistence, anonymous: allowAnonymous, acl: acl !== undefined, brokerId: aedes.id }, 'broker listening')

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    ...started,
    aedes,
    metrics,
    reload: async () => {
      const newPasswords = options.passwordFile !== undefined ? await loadPasswordFile(options.passwordFile) : undefined
      const newAcl = options.aclFile !== undefined ? await loadAcl(options.aclFile) : undefined
      auth.update(newPasswords, newAcl)
      logger.info({ users: newPasswords?.size, acl: newAcl !== undefined }, 'password file and ACL reloaded')
    },
    close: () => {
      stopSys()
      closing ??= shutdown(aedes, servers, wss, ops, connections, storage.close).then(() => logger.info('broker stopped'))
      return closing
    }
  }
}

/** This package's version, for $SYS/broker/version. */
function brokerVersion (): string {
  try {
    return packageVersion(new URL('../../package.json', import.meta.url))
  } catch {
    return 'unknown'
  }
}

async function readSettingFile (path: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw new ConfigError(`cannot read ${setting} ${path}: ${(err as Error).message}`)
  }
}

/** `/healthz` (503 once closing) and `/metrics` (the broker's counters and process metrics). */
async function startOps (aedes: Aedes, metrics: BrokerMetrics, host: string, port: number, portSetting: string): Promise<OpsServer> {
  const registry = createBrokerRegistry(metrics, () => aedes.connectedClients)
  const health = (): { ok: boolean, status: string, brokerId: string, clients: number, uptimeSeconds: number } => ({
    ok: !aedes.closed,
    status: aedes.closed ? 'closing' : 'ok',
    brokerId: aedes.id,
    clients: aedes.connectedClients,
    uptimeSeconds: Math.round((Date.now() - metrics.startedAt) / 1000)
  })
  return await startOpsServer({ host, port, portSetting, health, registry })
}

/** Counts and logs client errors; oversized packets and protocol violations get their own counters. */
function observe (aedes: Aedes, metrics: BrokerMetrics, logger: Logger): void {
  // aedes reports one error per failed write, so a dropped client can raise dozens: report the first.
  const reported = new WeakSet<Client>()
  const onError = (client: Client, err: Error): void => {
    if (reported.has(client)) return
    reported.add(client)
    if (err.message === 'drain timeout') {
      metrics.slowClientsDropped++
      logger.warn({ clientId: client.id }, 'client disconnected: it stopped reading its messages (drain timeout)')
      return
    }
    if (err instanceof ProtocolViolationError) {
      metrics.protocolViolations++
      logger.warn({ clientId: client.id, err: err.message, statement: err.statement }, 'connection closed: protocol violation')
      return
    }
    if (err instanceof PacketTooLargeError) {
      metrics.oversizedPackets++
      logger.warn({ clientId: client.id, size: err.size, limit: err.limit }, 'connection closed: packet too large')
      return
    }
    metrics.clientErrors++
    logger.info({ clientId: client.id, err: err.message }, 'client error')
  }
  aedes.on('clientError', onError)
  aedes.on('connectionError', onError)
  aedes.on('keepaliveTimeout', (client) => {
    metrics.keepaliveTimeouts++
    logger.info({ clientId: client.id }, 'client keep-alive timed out')
  })
  aedes.on('client', (client) => logger.debug({ clientId: client.id }, 'client connected'))
  aedes.on('clientDisconnect', (client) => logger.debug({ clientId: client.id }, 'client disconnected'))
}

async function shutdown (aedes: Aedes, servers: Server[], wss: WebSocketServer | undefined, ops: OpsServer | undefined, connections: LiveConnections, closeStorage: () => Promise<void>): Promise<void> {
  // Stop accepting first, then disconnect clients (aedes.close), then wait for the sockets to end.
  const serversClosed = Promise.all(servers.map(closeServer))
  wss?.close()
  await new Promise<void>((resolve) => aedes.close(() => resolve()))
  // Connections that never sent CONNECT are not aedes clients yet.
  connections.destroyAll()
  for (const server of servers) (server as { closeAllConnections?: () => void }).closeAllConnections?.()
  await serversClosed
  await ops?.close()
  await closeStorage()
}

import { ConfigError } from '@factory-edge/shared/errors'
import { createLogger, onShutdownOf, printVersion, parseCommand } from '@factory-edge/shared/runtime'
import { brokerConfigSpec, type BrokerConfig } from './config.js'
import { startBroker, type BrokerHandle, type BrokerOptions } from './broker.js'
import { setPassword } from './auth/password-file.js'
import type { Logger } from '@factory-edge/shared/runtime'

const USAGE = 'factory-broker [options]\n       factory-broker passwd add <user> --password-file <file>   (password read from stdin)'
const SUMMARY = 'MQTT broker of a factory-edge gateway (aedes): TCP, WebSocket and TLS listeners, password file\nand Mosquitto-style ACL, limits, durable sessions, /healthz and /metrics.'

/** Maps the validated command-line configuration to startBroker options. */
export function toBrokerOptions (config: BrokerConfig, logger: Logger): BrokerOptions {
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key must be given together')
  }
  return {
    host: config.host,
    port: config.port,
    wsPort: config.ws ? config.wsPort : null,
    tlsPort: config.tlsPort,
    tls: config.tlsCert !== undefined && config.tlsKey !== undefined ? { certFile: config.tlsCert, keyFile: config.tlsKey, caFile: config.tlsCa } : undefined,
    httpPort: config.httpPort === -1 ? null : config.httpPort,
    httpHost: config.httpHost,
    passwordFile: config.passwordFile,
    aclFile: config.aclFile,
    allowAnonymous: config.allowAnonymous,
    maxPacketSize: config.maxPacketSize,
    maxConnections: config.maxConnections,
    maxKeepalive: config.maxKeepalive,
    connectTimeout: config.connectTimeout,
    sysInterval: config.sysInterval,
    drainTimeout: config.drainTimeout,
    persistence: config.persistence,
    persistenceDir: config.persistenceDir,
    redisUrl: config.redisUrl,
    brokerId: config.brokerId,
    logger
  }
}

/** Reads a password: from the terminal without echo, or the first line of piped stdin. */
async function readPassword (input: NodeJS.ReadStream, output: NodeJS.WritableStream): Promise<string> {
  if (input.isTTY !== true) {
    let text = ''
    for await (const chunk of input) text += String(chunk)
    return text.split(/\r?\n/)[0]
  }
  const ask = (prompt: string): Promise<string> => new Promise((resolve) => {
    output.write(prompt)
    input.setRawMode(true)
    input.resume()
    let value = ''
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          input.off('data', onData)
          input.setRawMode(false)
          input.pause()
          output.write('\n')
          resolve(value)
          return
        }
        if (ch === '\u0003') process.exit(130)
        if (ch === '\u007f') value = value.slice(0, -1)
        else value += ch
      }
    }
    input.on('data', onData)
  })
  const first = await ask('Password: ')
  const second = await ask('Repeat password: ')
  if (first !== second) throw new Error('the passwords do not match')
  return first
}

async function passwd (config: BrokerConfig, args: string[]): Promise<void> {
  if (args[0] !== 'add' || args.length !== 2) throw new ConfigError('usage: factory-broker passwd add <user> --password-file <file>')
  if (config.passwordFile === undefined) throw new ConfigError('passwd add needs --password-file (or BROKER_PASSWORD_FILE)')
  const password = await readPassword(process.stdin, process.stderr)
  await setPassword(config.passwordFile, args[1], password)
  process.stderr.write(`password of ${args[1]} written to ${config.passwordFile}\n`)
}

/** Entry point of `factory-broker`: parses flags and environment, then runs the broker or a sub-command. */
export async function main (argv: readonly string[]): Promise<void> {
  // The version is read from dist/src/ up to this package's package.json.
  const parsed = parseCommand(brokerConfigSpec, argv, { usage: USAGE, summary: SUMMARY, printVersion: () => printVersion('factory-broker', new URL('../../package.json', import.meta.url)) })
  if (parsed === undefined) return
  const { config, positionals } = parsed
  if (positionals[0] === 'passwd') return await passwd(config, positionals.slice(1))
  if (positionals.length > 0) throw new ConfigError(`unexpected argument ${JSON.stringify(positionals[0])}; run with --help to see the usage`)
  const logger = createLogger('broker', { level: config.logLevel, format: config.logFormat })
  // Handlers first: a stop requested while the store (e.g. Redis) connects is a clean stop too.
  const shutdown = onShutdownOf<BrokerHandle>(async (broker, signal) => {
    logger.info({ signal }, 'shutting down')
    await broker?.close()
  })
  const broker = shutdown.started(await startBroker(toBrokerOptions(config, logger)))
  // Like Mosquitto: SIGHUP re-reads the password file and the ACL without dropping anyone.
  process.on('SIGHUP', () => {
    broker.reload().catch((err: Error) => logger.error({ err: err.message }, 'reload failed; the previous password file and ACL stay in force'))
  })
}

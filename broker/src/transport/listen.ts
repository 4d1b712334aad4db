import type { Server } from 'node:net'
import { ConfigError } from '@factory-edge/shared/errors'

/** Where a listener's port is configured, for error messages: e.g. `--port (env BROKER_PORT)`. */
export interface PortSetting {
  what: string
  setting: string
}

/** Starts listening; resolves with the bound port, or rejects with a message naming the setting to change. */
export function listen (server: Server, host: string, port: number, name: PortSetting): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening)
      reject(listenError(err, host, port, name))
    }
    const onListening = (): void => {
      server.off('error', onError)
      const address = server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

/**
 * The error of a failed listen, as a message naming the setting to change. A port in use may be free
 * again on the next try, so only a port or address that can never work is a configuration mistake.
 */
export function listenError (err: NodeJS.ErrnoException, host: string, port: number, name: PortSetting): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new Error(`${name.what}: port ${port} on ${host} is already in use; choose another with ${name.setting}`)
    case 'EACCES':
      return new ConfigError(`${name.what}: not allowed to listen on ${host}:${port} (ports below 1024 need privileges); choose another with ${name.setting}`)
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ConfigError(`${name.what}: cannot listen on address ${host}: it is not an address of this machine`)
    default:
      return new Error(`${name.what}: cannot listen on ${host}:${port}: ${err.message}`)
  }
}

/** Closes a server, resolving once every connection has ended (or at once if it never listened). */
export function closeServer (server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
  })
}

import type { Server } from 'node:net'
import { ListenError } from '../errors.js'

/** Which listener a port belongs to and how a user changes it, for error messages: e.g. `--port (env BROKER_PORT)`. */
export interface PortSetting {
  what: string
  setting: string
}

/**
 * Starts listening; resolves with the bound port, or rejects with a {@link ListenError} naming the
 * setting to change. The server's one-shot error listener is removed either way, so a later error is
 * the caller's to handle.
 */
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
 * The error of a failed listen as one line naming the setting to change. Every case exits 2: the
 * command cannot run with that setting now, and a supervisor restarting it would only repeat the line.
 */
export function listenError (err: NodeJS.ErrnoException, host: string, port: number, name: PortSetting): ListenError {
  const errno = err.code ?? 'UNKNOWN'
  switch (errno) {
    case 'EADDRINUSE':
      return new ListenError(`${name.what}: port ${port} on ${host} is already in use (another program, or another copy of this one, listens there); choose another with ${name.setting}`, errno)
    case 'EACCES':
      return new ListenError(`${name.what}: not allowed to listen on ${host}:${port} (ports below 1024 need privileges); choose another with ${name.setting}`, errno)
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ListenError(`${name.what}: cannot listen on address ${host}: it is not an address of this machine`, errno)
    default:
      return new ListenError(`${name.what}: cannot listen on ${host}:${port} (${errno}: ${err.message}); check ${name.setting}`, errno)
  }
}

/** Closes a server, resolving once every connection has ended (or at once if it never listened). */
export function closeServer (server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
  })
}

import { connect, createServer } from 'node:net'

/** A free TCP port on loopback (for programs that cannot listen on port 0 and report it). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

/** True when something accepts TCP connections on the loopback port. */
export async function portOpen (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

/** Listens on a free loopback port, so that a program under test finds it taken; `release` frees it. */
export async function holdPort (): Promise<{ port: number, release: () => Promise<void> }> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as { port: number }).port,
    release: async () => await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

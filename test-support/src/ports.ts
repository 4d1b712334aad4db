import { readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'

/**
 * A free TCP port on loopback, for programs that cannot listen on port 0 and report it. It is taken
 * below the kernel's ephemeral range: a port from that range may meanwhile become the source port of
 * some outgoing connection (a nats-server node dialling its routes, say), and the program started on it
 * then fails with "address already in use". Ports that are taken are skipped; port 0 is the fallback.
 */
export async function freePort (): Promise<number> {
  const from = 10_000
  const span = ephemeralRange()[0] - from
  const attempts = span > 1000 ? 50 : 0
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = from + Math.floor(Math.random() * span)
    if (await canListen(port)) return port
  }
  return await listenOnce(0)
}

/** The kernel's ephemeral port range (Linux's default when it cannot be read). */
function ephemeralRange (): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high]
  } catch {}
  return [32_768, 60_999]
}

async function canListen (port: number): Promise<boolean> {
  try {
    await listenOnce(port)
    return true
  } catch {
    return false
  }
}

/** Listens on the loopback port (0: any), closes, and returns the port. */
async function listenOnce (port: number): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port
      server.close(() => resolve(bound))
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

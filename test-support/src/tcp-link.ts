import net from 'node:net'
import { freePort } from './ports.js'

/** A TCP link to a server on a free loopback port, which a test can cut and restore. */
export interface TcpLink {
  port: number
  /** Resets every connection through the link and refuses new ones (an uplink going down). */
  cut: () => Promise<void>
  /** Accepts connections again on the same port. */
  restore: () => Promise<void>
}

/**
 * Forwards connections on a free loopback port to `targetPort`, byte for byte, until `cut`. A cut resets
 * both sides (RST), so the client notices at once; a link that goes silent instead is only noticed
 * after the client's keep-alive.
 */
export async function startTcpLink (targetPort: number): Promise<TcpLink> {
  const port = await freePort()
  const sockets = new Set<net.Socket>()
  let server: net.Server | undefined
  const track = (socket: net.Socket, other: () => net.Socket): void => {
    sockets.add(socket)
    socket.on('error', () => other().destroy())
    socket.on('close', () => { sockets.delete(socket); other().destroy() })
  }
  const restore = async (): Promise<void> => {
    if (server !== undefined) return
    const listening = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1')
      track(client, () => upstream)
      track(upstream, () => client)
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject)
      listening.listen(port, '127.0.0.1', () => resolve())
    })
    server = listening
  }
  const cut = async (): Promise<void> => {
    const listening = server
    if (listening === undefined) return
    server = undefined
    const closed = new Promise((resolve) => listening.close(resolve))
    for (const socket of sockets) socket.resetAndDestroy()
    await closed
  }
  await restore()
  return { port, cut, restore }
}

import { createServer, type AddressInfo } from 'node:net'
import { Aedes } from 'aedes'

/** A plain aedes broker in the test's own process: for tests that need any MQTT broker, not ours. */
export interface TestBroker {
  url: string
  port: number
  /** Connected clients by id, so that a test can drop one. */
  clients: () => Record<string, { close: () => void }>
  close: () => Promise<void>
}

/** An in-process aedes broker on a free (or the given) loopback port. */
export async function startAedes (port = 0): Promise<TestBroker> {
  const aedes = await Aedes.createBroker()
  const server = createServer(aedes.handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const actual = (server.address() as AddressInfo).port
  return {
    url: `mqtt://127.0.0.1:${actual}`,
    port: actual,
    clients: () => (aedes as unknown as { clients: Record<string, { close: () => void }> }).clients,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

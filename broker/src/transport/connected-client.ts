import type { Aedes, Client } from 'aedes'

interface Settings { protocolVersion?: number, bridgeMode?: boolean }
interface Emitter { _events?: Record<string | symbol, unknown> }
interface ClientInternals extends Emitter {
  _parser?: Emitter & { settings?: Settings & { cmd?: string } }
}

/**
 * Node's EventEmitter keeps its listeners in an object without a prototype, which V8 holds as a hash
 * table (dictionary mode), and more so once a listener type has been deleted from it (aedes' `once`
 * listener for `connected`). An object with the same entries built as a plain literal and then given a
 * null prototype stays a fast object: a fifth of the size for the two or three event types of an idle
 * client. Nothing else holds the table, so replacing it keeps every listener and its order.
 */
function compactListenerTable (emitter: Emitter): void {
  const events = emitter._events
  if (events === undefined || Object.getPrototypeOf(events) !== null) return
  const compact: Record<string | symbol, unknown> = {}
  for (const key of Reflect.ownKeys(events)) compact[key] = events[key]
  emitter._events = Object.setPrototypeOf(compact, null) as Record<string | symbol, unknown>
}

/**
 * Once a client is connected, trims what aedes and mqtt-packet keep per client but no longer need
 * (docs/scaling.md, "Where an idle client's memory goes"):
 * - the parser keeps the whole CONNECT packet (client id, flags, will, user name, password) as its
 *   `settings`, of which it only reads the protocol version and the bridge flag of later packets;
 * - the listener tables of the client and its parser (above).
 */
function trimConnectedClient (client: Client): void {
  const internals = client as unknown as ClientInternals
  const parser = internals._parser
  if (parser === undefined) return
  const settings = parser.settings
  if (settings?.cmd === 'connect') {
    parser.settings = { protocolVersion: settings.protocolVersion, ...(settings.bridgeMode !== undefined ? { bridgeMode: settings.bridgeMode } : {}) }
  }
  compactListenerTable(parser)
  compactListenerTable(internals)
}

/**
 * Trims every client once it is connected. aedes emits `clientReady` just before the client's own
 * `connected` event, whose `once` listener is removed as it fires: the trim runs on the next tick,
 * after that.
 */
export function trimConnectedClients (aedes: Aedes): void {
  aedes.on('clientReady', (client) => process.nextTick(trimConnectedClient, client))
}

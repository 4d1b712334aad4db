import type { Aedes, Client } from 'aedes'

interface Settings { protocolVersion?: number, bridgeMode?: boolean }
type Table = Record<string | symbol, unknown>
interface Emitter { _events?: Table }
interface ClientInternals extends Emitter {
  _parser?: Emitter & { settings?: Settings & { cmd?: string } }
  duplicates?: Table
}

/**
 * A copy of an object without a prototype that V8 keeps as a fast object. `Object.create(null)` and
 * `{ __proto__: null }` make hash tables (dictionary mode) from the start, several times the size of a
 * fast object with the same few entries; a plain literal given a null prototype afterwards stays fast,
 * as long as no key is deleted. Objects without a prototype stay so: a key such as `constructor` still
 * reads back as absent.
 */
function fastCopy (table: Table): Table {
  const copy: Table = {}
  for (const key of Reflect.ownKeys(table)) copy[key] = table[key]
  return Object.setPrototypeOf(copy, null) as Table
}

const hasNoPrototype = (table: Table | undefined): table is Table => table !== undefined && Object.getPrototypeOf(table) === null

/**
 * Once a client is connected, trims what aedes and mqtt-packet keep per client but no longer need
 * (docs/scaling.md, "Where an idle client's memory goes"):
 * - the parser keeps the whole CONNECT packet (client id, flags, will, user name, password) as its
 *   `settings`, of which it only reads the protocol version and the bridge flag of later packets;
 * - the tables without a prototype that hold the client's and its parser's listeners (Node's
 *   EventEmitter; the client's has lost aedes' `once` listener for `connected` by now) and the
 *   client's `duplicates` (a counter per broker id, the same few keys for every client) are replaced by
 *   fast copies (above). Nothing else holds them. The client's `subscriptions` stay a hash table: its
 *   keys, topic filters, differ from client to client.
 */
function trimConnectedClient (client: Client): void {
  const internals = client as unknown as ClientInternals
  const parser = internals._parser
  if (parser === undefined) return
  const settings = parser.settings
  if (settings?.cmd === 'connect') {
    parser.settings = { protocolVersion: settings.protocolVersion, ...(settings.bridgeMode !== undefined ? { bridgeMode: settings.bridgeMode } : {}) }
  }
  if (hasNoPrototype(parser._events)) parser._events = fastCopy(parser._events)
  if (hasNoPrototype(internals._events)) internals._events = fastCopy(internals._events)
  if (hasNoPrototype(internals.duplicates)) internals.duplicates = fastCopy(internals.duplicates)
}

/**
 * Trims every client once it is connected. aedes emits `clientReady` just before the client's own
 * `connected` event, whose `once` listener is removed as it fires: the trim runs on the next tick,
 * after that.
 */
export function trimConnectedClients (aedes: Aedes): void {
  aedes.on('clientReady', (client) => process.nextTick(trimConnectedClient, client))
}

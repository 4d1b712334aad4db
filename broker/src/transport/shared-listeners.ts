import type { EventEmitter } from 'node:events'
import type { Client } from 'aedes'

interface ClientInternals {
  conn: EventEmitter & { destroyed?: boolean }
  _parser?: EventEmitter
  /** Removes the listeners of the `finished()` aedes attached to the connection. */
  _eos?: () => void
}
/** What aedes sets on the connection and the parser: `conn.client`, `parser.client`. */
type WithClient = EventEmitter & { client: Client & EventEmitter }

function noop (): void {}

// One function each for every connection (`this` is the connection or the parser), in place of what
// aedes creates per client: `this.emit.bind(this, 'error')` twice, `this.close.bind(this)` twice.
function connError (this: WithClient, err: Error): void { this.client.emit('error', err) }
function parserError (this: WithClient, err: Error): void { this.client.emit('error', err) }
function connEnd (this: WithClient): void { this.client.close() }
function connClosed (this: WithClient): void { this.client.close() }

/** Replaces the one listener of `event` named `name` with `replacement`; false when there is not exactly one. */
function replaceListener (emitter: EventEmitter, event: string, name: string, replacement: (this: WithClient, err: Error) => void): boolean {
  const found = emitter.listeners(event).filter((f) => f.name === name)
  if (found.length !== 1) return false
  // Added after the removal, so that an array of listeners is made anew at its size: one that grew by
  // a push keeps room for 16 more.
  emitter.removeListener(event, found[0] as (...args: unknown[]) => void)
  emitter.on(event, replacement)
  return true
}

/**
 * aedes gives every client a handful of functions of its own on its connection and parser: bound
 * `emit('error')` and `close()` functions, and Node's `finished()` on the connection, which creates six
 * closures, a context and a cleanup function, and grows the connection's array of `end` listeners by a
 * push (room for 16 more). An idle connection carries them for as long as it is open, most of a
 * kilobyte (docs/scaling.md). This puts one shared function in the place of each:
 * - `finished()` only calls `client.close()` once the connection has ended, finished, failed or closed.
 *   aedes already closes the client on `end` and on `error`, and a stream that has finished both ways
 *   or is destroyed emits `close` (net and TLS sockets destroy themselves then; ws' stream emits it
 *   itself), so a `close` listener that calls `client.close()` (which does nothing the second time)
 *   keeps that behaviour.
 * - the bound functions, by functions that reach the client through `conn.client` and `parser.client`,
 *   which aedes sets.
 *
 * Call it on the client aedes.handle() returns, before the connection is read. A listener is replaced
 * only where aedes' are found as expected; should aedes attach something else one day, the client keeps
 * what it has (broker/test/idle-footprint.test.ts then fails).
 */
export function sharedClientListeners (client: Client): void {
  const internals = client as unknown as ClientInternals
  const { conn, _parser: parser } = internals
  if (conn.destroyed === true || typeof internals._eos !== 'function') return
  // First, so that the listener arrays it grew hold only aedes' listeners when those are replaced.
  internals._eos()
  // aedes calls and then drops it in close().
  internals._eos = noop
  conn.on('close', connClosed)
  replaceListener(conn, 'error', 'bound emit', connError)
  replaceListener(conn, 'end', 'bound close', connEnd)
  if (parser !== undefined) replaceListener(parser, 'error', 'bound emit', parserError)
}

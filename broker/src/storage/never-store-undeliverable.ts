import type { PublishPacket } from 'aedes'
import { publishProblem } from '../protocol/topics.js'

interface MessageStore {
  storeRetained: (packet: PublishPacket) => Promise<void>
  outgoingEnqueue: (sub: unknown, packet: PublishPacket) => Promise<void>
  outgoingEnqueueCombi: (subs: unknown, packet: PublishPacket) => Promise<void>
}

/**
 * Keeps a message that cannot be encoded out of the retained messages and the sessions' queues. Every
 * PUBLISH and will from a client is refused before it gets here; this covers messages given to
 * `aedes.publish` directly. It matters because aedes, when authorizeForward drops a queued message for
 * an online session, clears it by a packet id the message never got (lib/client.js deliverQoS), so the
 * stored copy would be met again at the session's next reconnect.
 */
export function neverStoreUndeliverable (persistence: unknown): void {
  const store = persistence as MessageStore
  const storeRetained = store.storeRetained.bind(store)
  const outgoingEnqueue = store.outgoingEnqueue.bind(store)
  const outgoingEnqueueCombi = store.outgoingEnqueueCombi.bind(store)
  store.storeRetained = async (packet) => { if (publishProblem(packet) === undefined) await storeRetained(packet) }
  store.outgoingEnqueue = async (sub, packet) => { if (publishProblem(packet) === undefined) await outgoingEnqueue(sub, packet) }
  store.outgoingEnqueueCombi = async (subs, packet) => { if (publishProblem(packet) === undefined) await outgoingEnqueueCombi(subs, packet) }
}

interface OutgoingStore {
  outgoingUpdate: (client: unknown, packet: { cmd: string }) => Promise<unknown>
}

/**
 * A PUBREC for a packet id the store does not know (e.g. sent again after the broker restarted without
 * it) made aedes' lookup fail with "no such packet" and disconnect the client, which then sends the same
 * PUBREC at every reconnect. Like Mosquitto, the broker now ignores the lookup failure and still answers
 * with PUBREL (MQTT-4.3.3-1 obliges the sender of the PUBLISH to release it); the PUBCOMP that follows,
 * like a PUBACK for an unknown id, is already ignored by every store.
 */
export function ignoreUnknownPubrec (persistence: unknown): void {
  const store = persistence as OutgoingStore
  const update = store.outgoingUpdate.bind(store)
  store.outgoingUpdate = async (client, packet) => {
    try {
      return await update(client, packet)
    } catch (err) {
      if (packet.cmd === 'pubrel' && (err as Error).message === 'no such packet') return undefined
      throw err
    }
  }
}

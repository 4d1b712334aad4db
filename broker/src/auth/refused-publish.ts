import type { Aedes, Client, PublishPacket } from 'aedes'

type PublishFn = (packet: PublishPacket, client: Client | null, done?: (err?: Error | null) => void) => void

const REFUSED = Symbol('factory-broker.refused')
type MaybeRefused = PublishPacket & { [REFUSED]?: true }

/** Marks a PUBLISH (or will) the ACL refused: aedes acknowledges it as usual and it goes nowhere. */
export function refusePublish (packet: PublishPacket): void {
  (packet as MaybeRefused)[REFUSED] = true
}

/**
 * MQTT-3.3.5-2: a server that does not authorise a PUBLISH must either acknowledge it as usual or close
 * the connection. aedes can only close it (an error from authorizePublish), and a QoS 1 or 2 publisher
 * then sends the same message again after reconnecting, to be refused again: a reconnect loop. Like
 * Mosquitto, acknowledge and drop instead: a refused message is let through authorisation, marked, and
 * skipped here, before it is stored as retained, queued for a session or delivered. Install before
 * anything else wraps `aedes.publish`.
 */
export function dropRefusedPublishes (aedes: Aedes): void {
  const broker = aedes as unknown as { publish: PublishFn }
  const publish = broker.publish.bind(aedes)
  broker.publish = (packet, client, done) => {
    if ((packet as MaybeRefused)[REFUSED] === true) {
      delete (packet as MaybeRefused)[REFUSED]
      const callback = typeof client === 'function' ? client as (err?: Error | null) => void : done
      return callback?.()
    }
    publish(packet, client, done)
  }
}

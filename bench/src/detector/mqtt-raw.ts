/** A bare MQTT 3.1.1 client on a socket with pre-encoded packets, so that the benchmark client costs little. */
import { connect, type Socket } from 'node:net'
import mqttPacket from 'mqtt-packet'

export interface RawClient {
  socket: Socket
  /** Called for every packet after CONNACK. */
  onPacket: (p: mqttPacket.Packet) => void
}

export async function rawConnect (port: number, clientId: string, clean = true): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  const client: RawClient = { socket, onPacket: () => {} }
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  await new Promise<void>((resolve, reject) => {
    parser.on('packet', (p) => {
      if (p.cmd === 'connack') resolve()
      else client.onPacket(p)
    })
    socket.on('data', (d) => parser.parse(d))
    socket.once('error', reject)
    socket.once('connect', () => socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, clientId, keepalive: 0 })))
  })
  return client
}

export function publishPacket (topic: string, payload: string | Buffer, messageId: number): Buffer {
  return mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, messageId, retain: false, dup: false })
}

export function subscribePacket (topic: string, messageId: number): Buffer {
  return mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 1 }] })
}

export function pubackPacket (messageId: number): Buffer {
  return mqttPacket.generate({ cmd: 'puback', messageId })
}

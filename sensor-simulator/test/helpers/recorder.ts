import mqtt, { type MqttClient } from 'mqtt'

/** A subscriber that records every message it gets. */
export interface Recorder {
  client: MqttClient
  messages: Array<{ topic: string, payload: Buffer, retain: boolean }>
  /** Messages whose topic ends with `/<kind>`. */
  of: (kind: string) => Array<{ topic: string, payload: Buffer, retain: boolean }>
  close: () => Promise<void>
}

/** Subscribes to `topic` on `url` and records what arrives. */
export async function record (url: string, topic = '#', options: mqtt.IClientOptions = {}): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...options })
  const messages: Recorder['messages'] = []
  client.on('message', (t, payload, packet) => messages.push({ topic: t, payload, retain: packet.retain }))
  await client.subscribeAsync(topic, { qos: 1 })
  return {
    client,
    messages,
    of: (kind) => messages.filter((m) => m.topic.endsWith(`/${kind}`)),
    close: async () => { await client.endAsync(true) }
  }
}

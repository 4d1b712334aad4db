import assert from 'node:assert/strict'
import type { IClientOptions } from 'mqtt'
import { connect, endClient } from './helpers.js'

/** A broker a test can stop and start again with the same store. */
export interface RestartableBroker {
  url: string
  stop: () => Promise<void>
}

/**
 * The restart scenario, for any broker: a persistent session subscribes with QoS 1 and goes offline,
 * 20 QoS 1 messages and one retained message are published, the broker restarts, and the session must
 * get all 20 in order and a new subscriber the retained one.
 */
export async function checkSessionSurvivesRestart (start: () => Promise<RestartableBroker>, auth: IClientOptions = {}): Promise<void> {
  let broker = await start()
  const clientId = `restart-${process.pid}-${Date.now()}`
  const detector = await connect(broker.url, { ...auth, clientId, clean: false })
  await detector.subscribeAsync('factory/+/telemetry', { qos: 1 })
  await endClient(detector)

  const sensor = await connect(broker.url, auth)
  for (let i = 0; i < 20; i++) await sensor.publishAsync('factory/m1/telemetry', `reading-${i}`, { qos: 1 })
  await sensor.publishAsync('factory/m1/status', 'online', { qos: 1, retain: true })
  await endClient(sensor)

  await broker.stop()
  broker = await start()
  try {
    const received: string[] = []
    const back = await connect(broker.url, { ...auth, clientId, clean: false }, (_topic, payload) => received.push(payload.toString()))
    const deadline = Date.now() + 10000
    while (received.length < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    await endClient(back)
    assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => `reading-${i}`))

    const viewer = await connect(broker.url, auth)
    const retained: string[] = []
    viewer.on('message', (_topic, payload) => retained.push(payload.toString()))
    await viewer.subscribeAsync('factory/m1/status')
    const until = Date.now() + 10000
    while (retained.length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20))
    await endClient(viewer)
    assert.deepEqual(retained, ['online'])
  } finally {
    await broker.stop()
  }
}

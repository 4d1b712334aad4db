import mqtt, { type MqttClient } from 'mqtt'
import { type Telemetry } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { anomalousReading, normalReading } from '@factory-edge/test-support/readings'

// What goes through the broker in a scenario: the planned readings, a QoS 1 publisher with a persistent
// session, and a recorder of the anomaly events.

/** Machine ids m0 … m(n-1) with a prefix. */
export function machineIds (prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`)
}

/**
 * The readings of one run, in publishing order: every machine in turn, one second apart in reading
 * time, ending a minute ago (so the time-series DB keeps them). Every machine has one anomalous stretch
 * (readings 40–51), which raises an alert and, once normal again, clears it.
 */
export function readingPlan (machines: readonly string[], perMachine: number, seed = 1): Telemetry[] {
  const random = new Random(seed)
  const start = Date.now() - 60_000 - perMachine * 1000
  const out: Telemetry[] = []
  for (let i = 0; i < perMachine; i++) {
    for (const id of machines) {
      const ts = start + i * 1000
      out.push(i >= 40 && i < 52 ? anomalousReading(id, i, ts) : normalReading(id, i, ts, random))
    }
  }
  return out
}

export interface Publisher {
  client: MqttClient
  /** Readings handed to the client (each once, however often the client has to resend it). */
  readonly published: number
  /** Readings the broker acknowledged. */
  readonly acked: number
  /** Publishes that failed for good (a persistent session should never have any). */
  readonly failed: number
  /** Publishes the client failed and this publisher sent again (`resendFailed`). */
  readonly resent: number
  /** Resolves when every reading is acknowledged. */
  done: Promise<void>
}

export interface PublishOptions {
  clientId: string
  /** Most messages unacknowledged at once (default 200). */
  window?: number
  /** Messages per second (default: as fast as the window allows). */
  ratePerSec?: number
  username?: string
  password?: string
  /**
   * Sends a publish again when the client fails it, as a sensor retrying would: mqtt.js fails with
   * "Connection closed" the publishes it queued while resending its stored ones after a reconnection,
   * when that connection closes too (nats-server's MQTT side does, twice within seconds, while a node of
   * its cluster fails over). Without it such a publish counts as failed.
   */
  resendFailed?: boolean
}

/**
 * Publishes messages in order with QoS 1 from a persistent session (clean: false), keeping at most
 * `window` unacknowledged; mqtt.js resends the unacknowledged ones after a reconnection.
 */
export function publishMessages (url: string, messages: Iterable<{ topic: string, payload: string | Buffer }>, options: PublishOptions): Publisher {
  const client = mqtt.connect(url, { clientId: options.clientId, clean: false, reconnectPeriod: 250, connectTimeout: 5000, username: options.username, password: options.password })
  client.on('error', () => {})
  const window = options.window ?? 200
  const started = Date.now()
  const state = { published: 0, acked: 0, failed: 0, resent: 0 }
  let wake: (() => void) | undefined
  const send = (m: { topic: string, payload: string | Buffer }): void => {
    client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
      if (err !== undefined && err !== null && options.resendFailed === true) {
        state.resent++
        setTimeout(() => send(m), 250)
        return
      }
      if (err !== undefined && err !== null) state.failed++
      else state.acked++
      wake?.()
    })
  }
  const done = (async () => {
    for (const m of messages) {
      while (state.published - state.acked - state.failed >= window) await new Promise<void>((resolve) => { wake = resolve })
      if (options.ratePerSec !== undefined) {
        const due = started + state.published * 1000 / options.ratePerSec
        if (due > Date.now() + 5) await new Promise((resolve) => setTimeout(resolve, due - Date.now()))
      }
      state.published++
      send(m)
    }
    while (state.acked + state.failed < state.published) await new Promise<void>((resolve) => { wake = resolve })
  })()
  return {
    client,
    get published () { return state.published },
    get acked () { return state.acked },
    get failed () { return state.failed },
    get resent () { return state.resent },
    done
  }
}

/** The topic and JSON payload of a reading. */
export function telemetryMessage (r: Telemetry): { topic: string, payload: string } {
  return { topic: `factory/${r.machineId}/telemetry`, payload: JSON.stringify(r) }
}

/** Publishes readings in order (see publishMessages). */
export function publishReadings (url: string, readings: readonly Telemetry[], options: PublishOptions): Publisher {
  return publishMessages(url, readings.map(telemetryMessage), options)
}

/** Keys `machine|ts|state` of the anomaly events seen on `<prefix>/+/anomalies`, from a persistent QoS 1 session. */
export async function recordAnomalies (url: string, clientId: string, login: { username?: string, password?: string } = {}): Promise<{ events: Set<string>, close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(url, { clientId, clean: false, reconnectPeriod: 250, ...login })
  client.on('error', () => {})
  const events = new Set<string>()
  client.on('message', (_topic, payload) => {
    const e = JSON.parse(payload.toString()) as { machineId: string, ts: number, state: string }
    events.add(`${e.machineId}|${e.ts}|${e.state}`)
  })
  await client.subscribeAsync('factory/+/anomalies', { qos: 1 })
  return { events, close: async () => { await client.endAsync(true) } }
}

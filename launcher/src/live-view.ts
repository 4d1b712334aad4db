import { connect, type MqttClient } from 'mqtt'
import { allMachinesTopic, machineIdFromTopic, sensorFaultText, type AnomalyEvent, type Telemetry } from '@factory-edge/shared/contract'

export interface LiveViewOptions {
  brokerUrl: string
  topicPrefix?: string
  /** `summary`: one line a second; `machines`: a line per machine a second; `quiet`: alerts only. */
  mode: 'summary' | 'machines' | 'quiet'
  out: NodeJS.WritableStream
  /** Milliseconds between status lines. */
  intervalMs?: number
}

interface MachineView {
  last?: Telemetry
  readings: number
  alert?: AnomalyEvent
}

/** Formats the top features of an event, e.g. `tempDelta=7.9 K (41%), rpm=1342 rpm (33%)`. */
export function formatDrivers (event: AnomalyEvent, count = 3): string {
  return event.features.slice(0, count)
    .map((f) => `${f.name}=${formatNumber(f.value)}${f.unit === '' ? '' : ` ${f.unit}`} (${Math.round(f.contribution * 100)}%)`)
    .join(', ')
}

function formatNumber (v: number): string {
  const a = Math.abs(v)
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2)
}

/** HH:MM:SS in the local time zone (the one a shift lead's wall clock shows); the banner names the zone. */
export function clockTime (ts: number): string {
  return new Date(ts).toTimeString().slice(0, 8)
}

/** The local time zone, as the banner names it. */
export function localZone (): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local time'
}

/** One line for an anomaly event: a siren when raised (a wrench for a sensor fault), a check mark when cleared. */
export function formatEvent (event: AnomalyEvent): string {
  const time = clockTime(event.ts)
  if (event.kind === 'sensor_fault') {
    const what = sensorFaultText(event)
    if (event.state === 'raised') return `🔧 ${time} ${event.machineId} SENSOR FAULT ${what} — check the sensor, not the machine\n`
    return `✅ ${time} ${event.machineId} sensor ${what} back to normal\n`
  }
  if (event.state === 'raised') {
    const c = event.calibration
    const why = c === undefined
      ? `score ${event.score.toFixed(3)} > ${event.threshold.toFixed(3)}`
      : `score ${c.smoothedScore.toFixed(3)} > its normal ${c.baseline.toFixed(3)} + ${c.margin.toFixed(3)}`
    return `🚨 ${time} ${event.machineId} ANOMALY ${event.severity} ${why} — driven by ${formatDrivers(event)}\n`
  }
  return `✅ ${time} ${event.machineId} back to normal (score ${event.score.toFixed(3)})\n`
}

/**
 * The terminal view of `npm start`: what a subscriber to the telemetry and anomaly topics sees,
 * condensed to a status line per second and one line per alert.
 */
export class LiveView {
  private readonly machines = new Map<string, MachineView>()
  private client?: MqttClient
  private timer?: NodeJS.Timeout
  private readingsSinceTick = 0
  private lastTick = Date.now()

  constructor (private readonly options: LiveViewOptions) {}

  /** Connects and starts printing. */
  async start (): Promise<void> {
    const prefix = this.options.topicPrefix
    const client = connect(this.options.brokerUrl, { clientId: `factory-edge-view-${process.pid}`, reconnectPeriod: 1000 })
    this.client = client
    client.on('message', (topic, payload) => this.onMessage(topic, payload))
    await client.subscribeAsync([allMachinesTopic('telemetry', prefix), allMachinesTopic('anomalies', prefix)], { qos: 0 })
    if (this.options.mode !== 'quiet') {
      this.timer = setInterval(() => this.tick(), this.options.intervalMs ?? 1000)
      this.timer.unref()
    }
  }

  private onMessage (topic: string, payload: Buffer): void {
    const id = machineIdFromTopic(topic, this.options.topicPrefix)
    if (id === undefined) return
    let view = this.machines.get(id)
    if (view === undefined) {
      view = { readings: 0 }
      this.machines.set(id, view)
    }
    let message: unknown
    try {
      message = JSON.parse(payload.toString())
    } catch {
      return
    }
    if (topic.endsWith('/telemetry')) {
      view.last = message as Telemetry
      view.readings++
      this.readingsSinceTick++
    } else {
      const event = message as AnomalyEvent
      view.alert = event.state === 'raised' ? event : undefined
      this.options.out.write(formatEvent(event))
    }
  }

  private tick (): void {
    const now = Date.now()
    const rate = this.readingsSinceTick / ((now - this.lastTick) / 1000)
    this.readingsSinceTick = 0
    this.lastTick = now
    const ids = [...this.machines.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    const alerts = ids.filter((id) => this.machines.get(id)?.alert !== undefined)
    if (this.options.mode === 'summary') {
      const status = alerts.length === 0 ? 'all normal' : `ALERT on ${alerts.join(', ')}`
      this.options.out.write(`   ${clockTime(now)} ${ids.length} machines, ${rate.toFixed(0)} readings/s, ${status}\n`)
      return
    }
    for (const id of ids) {
      const view = this.machines.get(id) as MachineView
      const r = view.last
      if (r === undefined) continue
      const mark = view.alert !== undefined ? '🔴' : '🟢'
      this.options.out.write(`${mark} ${id.padEnd(12)} ${r.temperature.toFixed(1)}°C air ${r.airTemperature.toFixed(1)}°C ${r.rpm.toFixed(0).padStart(5)} rpm ${r.torque.toFixed(1).padStart(5)} Nm wear ${r.toolWear.toFixed(0).padStart(3)} min ${r.humidity.toFixed(0)}%\n`)
    }
  }

  /** Stops printing and disconnects. */
  async close (): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.client?.endAsync(true)
  }
}

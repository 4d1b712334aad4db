import type { DetectorPipeline } from '../pipeline/pipeline.js'
import { AlertLog, round, type AlertEntry } from './alert-log.js'
import { MachineHistory, VIEW_STATES, type HistorySeries } from './machine-history.js'

/** The system panel: throughput, rejects, outputs, broker and model. */
export interface SystemView {
  readingsPerS: number
  messagesIn: number
  scored: number
  rejectedByReason: Record<string, number>
  raised: number
  cleared: number
  machines: number
  broker: { connected: boolean, url: string }
  influx: { state: string, spooled?: number, dropped?: number }
  model: { version: string, threshold: number }
}

export interface FeedOptions {
  /** Bytes of the event stream per second, whatever the number of machines. */
  streamBytesPerS: number
  /** Interval of the stream's frames (ms). */
  tickMs: number
  /** Scores of each machine's sparkline in the first view. */
  sparkSamples: number
}

/**
 * A machine in the grid: id, state code (index in VIEW_STATES), alert score and the machine's threshold
 * × 1000 (null while it learns or warms up), its learning progress in percent (null unless it learns),
 * then in the first view its sparkline of alert scores × 1000 (null for samples without one). The
 * alert score is what the alert rule holds against the threshold, so a row is over its dashed line
 * exactly when it counts towards an alert.
 */
export type GridRow = [id: string, state: number, score: number | null, threshold: number | null, learned: number | null, spark?: Array<number | null>]
/** A machine in an event-stream frame: a {@link GridRow} without the sparkline, the progress only while it learns. */
export type FrameRow = [id: string, state: number, score: number | null, threshold: number | null, learned?: number]

/** The page's first view; the stream then updates it. */
export interface FleetSnapshot {
  now: number
  states: readonly string[]
  silentMs: number
  tickMs: number
  machines: GridRow[]
  /** Newest first. */
  alerts: AlertEntry[]
  system: SystemView
}

/**
 * Builds what the web view sends: the first view of the fleet and, every tick, one event-stream frame of
 * at most streamBytesPerS × tickMs bytes: the system panel, new alerts, then machines whose state
 * changed, then the others that had readings, in turn, as many as fit. With many machines each is
 * updated less often; the bytes per second stay the same. A frame is built once for every open page.
 */
export class FleetFeed {
  private cursor = 0
  private frameNo = 0
  /** State code last streamed per slot (255: never). */
  private readonly sentState: Uint8Array
  private readonly sentSeen: Float64Array
  private readonly sentFrame: Uint32Array

  constructor (
    private readonly pipeline: DetectorPipeline,
    readonly history: MachineHistory,
    readonly alerts: AlertLog,
    private readonly system: () => SystemView,
    readonly options: FeedOptions
  ) {
    const capacity = pipeline.machines.capacity
    this.sentState = new Uint8Array(capacity).fill(255)
    this.sentSeen = new Float64Array(capacity)
    this.sentFrame = new Uint32Array(capacity)
  }

  snapshot (now: number): FleetSnapshot {
    this.history.tick(now)
    const machines: GridRow[] = []
    const table = this.pipeline.machines
    for (let slot = 0; slot < table.size; slot++) {
      const id = table.ids[slot]
      if (id === undefined) continue
      machines.push([id, this.history.stateCode(slot), ...this.gridValues(slot), this.history.alertScores(slot, this.options.sparkSamples).map(milli)])
    }
    return {
      now,
      states: VIEW_STATES,
      silentMs: this.history.options.silentMs,
      tickMs: this.options.tickMs,
      machines,
      alerts: this.alerts.recent.slice().reverse(),
      system: this.system()
    }
  }

  /** The next frame's JSON (the `data` of one server-sent event), within the byte budget. */
  frame (now: number): string {
    this.history.tick(now)
    this.frameNo++
    const budget = Math.floor(this.options.streamBytesPerS * this.options.tickMs / 1000)
    const head = `{"t":${now},"sys":${JSON.stringify(this.system())}`
    let used = Buffer.byteLength(head) + 32
    const alerts: string[] = []
    // Alerts take at most half of the frame; the rest wait for the next one.
    this.alerts.takePending((entry) => {
      const text = JSON.stringify(entry)
      const size = Buffer.byteLength(text) + 1
      if (used + size > budget / 2) return false
      used += size
      alerts.push(text)
      return true
    })
    const rows: string[] = []
    const table = this.pipeline.machines
    const add = (slot: number, code: number): boolean => {
      const [score, threshold, learned] = this.gridValues(slot)
      const text = `[${JSON.stringify(table.ids[slot])},${code},${score},${threshold}${learned === null ? '' : `,${learned}`}]`
      const size = Buffer.byteLength(text) + 1
      if (used + size > budget) return false
      used += size
      rows.push(text)
      this.sentState[slot] = code
      this.sentSeen[slot] = this.history.lastSeen[slot]
      this.sentFrame[slot] = this.frameNo
      return true
    }
    let full = false
    for (let slot = 0; slot < table.size && !full; slot++) {
      const code = this.history.stateCode(slot)
      if (code !== this.sentState[slot]) full = !add(slot, code)
    }
    for (let n = 0; n < table.size && !full; n++) {
      const slot = this.cursor
      this.cursor = (this.cursor + 1) % table.size
      if (this.sentFrame[slot] === this.frameNo || this.history.lastSeen[slot] === this.sentSeen[slot]) continue
      if (!add(slot, this.history.stateCode(slot))) {
        this.cursor = slot
        full = true
      }
    }
    return `${head},"ev":[${alerts.join(',')}],"lost":${this.alerts.unstreamed},"m":[${rows.join(',')}]}`
  }

  /** A grid row's numbers after its state: alert score and threshold × 1000, learning progress in percent. */
  private gridValues (slot: number): [score: number | null, threshold: number | null, learned: number | null] {
    const p = this.pipeline
    const progress = p.learningProgress(slot)
    return [milli(p.alerts.ruleScore[slot]), milli(p.modelOf(slot)?.threshold ?? NaN), Number.isNaN(progress) ? null : Math.floor(progress * 100)]
  }

  /** A machine's page, or undefined when the machine is not tracked. */
  machine (id: string, now: number): MachineDetail | undefined {
    this.history.tick(now)
    const p = this.pipeline
    const slot = p.machines.slotOf(id)
    if (slot < 0) return undefined
    const model = p.modelOf(slot)
    const a = p.alerts
    const lane = p.lanes[p.laneOf[slot]]
    return {
      id,
      state: VIEW_STATES[this.history.stateCode(slot)],
      profile: lane.profileName,
      units: Object.fromEntries(lane.profile.definition.signals.map((sig) => [sig.name, sig.unit])),
      learning: model === undefined ? p.stateOf(slot, now).learning : undefined,
      score: round(a.lastScore[slot]),
      alertScore: Number.isNaN(a.ruleScore[slot]) ? null : round(a.ruleScore[slot]),
      threshold: model?.threshold ?? null,
      calibration: a.calibrated ? { smoothedScore: round(a.smoothed[slot]), baseline: round(a.baseline[slot]), margin: a.marginOf(slot) } : undefined,
      history: this.history.series(slot),
      lastEvent: this.alerts.lastEvent(id),
      rejected: this.alerts.rejectedOf(id),
      model: model === undefined
        ? undefined
        : {
            version: model.version,
            profile: lane.profileName,
            kind: lane.learn === undefined ? 'shared' : 'learned',
            createdAt: model.createdAt,
            training: model.training,
            features: model.featureSpec.features,
            window: model.featureSpec.window
          }
    }
  }
}

export interface MachineDetail {
  id: string
  state: string
  profile: string
  /** Unit of each raw signal of the machine's profile. */
  units: Record<string, string>
  /** While the machine learns its baseline. */
  learning: { readings: number, of: number, progress: number } | undefined
  /** The model's last score. */
  score: number
  /** What the alert rule last held against the threshold; null while the machine learns or warms up. */
  alertScore: number | null
  /** null while the machine learns. */
  threshold: number | null
  calibration: { smoothedScore: number, baseline: number, margin: number } | undefined
  history: HistorySeries
  lastEvent: unknown
  rejected: Record<string, number>
  /** undefined while the machine learns. */
  model: { version: string, profile: string, kind: 'shared' | 'learned', createdAt: string, training: { rows: number, source: string }, features: readonly string[], window: number } | undefined
}

/** A score as an integer in thousandths (shorter on the wire, precise enough for a grid and a sparkline); null when there is none. */
function milli (x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 1000) : null
}

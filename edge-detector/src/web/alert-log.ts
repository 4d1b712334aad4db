import type { AnomalyEvent, RejectedMessage, RejectReason } from '@factory-edge/shared/contract'

/** An alert as the web view lists it: the event without its window, with its three strongest features. */
export interface AlertEntry {
  machineId: string
  ts: number
  state: AnomalyEvent['state']
  kind: AnomalyEvent['kind']
  severity: AnomalyEvent['severity']
  score: number
  threshold: number
  signal?: string
  fault?: string
  /** Feature name, value and share of the score (0..1), strongest first. */
  top: Array<[name: string, value: number, contribution: number]>
}

const TOP_FEATURES = 3

export function alertEntry (e: AnomalyEvent): AlertEntry {
  const entry: AlertEntry = {
    machineId: e.machineId,
    ts: e.ts,
    state: e.state,
    kind: e.kind,
    severity: e.severity,
    score: round(e.score),
    threshold: round(e.threshold),
    top: e.features.slice(0, TOP_FEATURES).map((f) => [f.name, round(f.value), round(f.contribution)])
  }
  if (e.signal !== undefined) entry.signal = e.signal
  if (e.fault !== undefined) entry.fault = e.fault
  return entry
}

export function round (x: number): number {
  return Math.round(x * 1e4) / 1e4
}

/**
 * What the web view remembers of events, all bounded: the last alerts (newest last), the alerts not yet
 * streamed, each machine's last event and its rejected payloads by reason. Fed from the detector's
 * events, off the hot path (an event is a change of state, a reject an error).
 */
export class AlertLog {
  readonly recent: AlertEntry[] = []
  private pending: AlertEntry[] = []
  /** Alerts that never reached the stream because too many came at once. */
  unstreamed = 0
  private readonly lastEvents = new Map<string, AnomalyEvent>()
  private readonly rejects = new Map<string, Partial<Record<RejectReason, number>>>()

  constructor (private readonly size: number, private readonly maxMachines: number) {}

  anomaly (e: AnomalyEvent): void {
    const entry = alertEntry(e)
    this.recent.push(entry)
    if (this.recent.length > this.size) this.recent.shift()
    this.pending.push(entry)
    if (this.pending.length > this.size) {
      this.pending.shift()
      this.unstreamed++
    }
    this.lastEvents.delete(e.machineId)
    this.lastEvents.set(e.machineId, e)
    trim(this.lastEvents, this.maxMachines)
  }

  rejected (m: RejectedMessage): void {
    if (m.machineId === '') return
    const counts = this.rejects.get(m.machineId) ?? {}
    counts[m.reason] = (counts[m.reason] ?? 0) + 1
    this.rejects.delete(m.machineId)
    this.rejects.set(m.machineId, counts)
    trim(this.rejects, this.maxMachines)
  }

  lastEvent (machineId: string): AnomalyEvent | undefined {
    return this.lastEvents.get(machineId)
  }

  rejectedOf (machineId: string): Partial<Record<RejectReason, number>> {
    return this.rejects.get(machineId) ?? {}
  }

  /** Takes the alerts not yet streamed, oldest first, as long as `fits` accepts each. */
  takePending (fits: (entry: AlertEntry) => boolean): AlertEntry[] {
    let n = 0
    while (n < this.pending.length && fits(this.pending[n])) n++
    const taken = this.pending.slice(0, n)
    this.pending = this.pending.slice(n)
    return taken
  }
}

/** Drops the least recently updated entries of a map kept in update order beyond `max`. */
function trim<V> (map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return
    map.delete(key)
  }
}

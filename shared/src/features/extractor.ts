import type { ReadingValues } from '../contract/sensor-fields.js'
import { SIGNALS, type SignalCatalog } from './signals.js'
import { describeFeature, validateFeatureSpec, type FeatureInfo, type FeatureSpec, type Statistic } from './spec.js'

const STAT_CODE: Record<Statistic, number> = { value: 0, mean: 1, std: 2, z: 3, rate: 4 }

/**
 * The recent readings of one machine: a ring buffer per windowed signal, in one Float64Array so that
 * thousands of machines stay compact. Created by {@link FeatureExtractor.createWindow}.
 */
export interface MachineWindow {
  /** `capacity` values per windowed signal, signal-major. */
  values: Float64Array
  /** Timestamp of each slot, for the window summary. */
  ts: Float64Array
  /** Index of the next slot to write. */
  head: number
  /** Readings held, at most capacity. */
  count: number
}

/**
 * Computes a model's features from readings. Training and the live detector both use this class, so
 * the features a model was trained on are exactly those it is scored on.
 */
export class FeatureExtractor<R = ReadingValues> {
  readonly spec: FeatureSpec
  readonly info: readonly FeatureInfo[]
  /** Number of features written per reading. */
  readonly size: number
  readonly capacity: number
  private readonly signals: Array<(r: R) => number>
  /** For each feature: index into `signals`. */
  private readonly featureSignal: Int32Array
  /** For each feature: statistic code. */
  private readonly featureStat: Int32Array
  /** For each signal: its slot in the window (-1 when no window statistic needs it). */
  private readonly windowSlot: Int32Array
  private readonly windowedCount: number
  /** Scratch for the newest value of every signal. */
  private readonly current: Float64Array

  /**
   * `catalog` defaults to AI4I's {@link SIGNALS} over named reading values; a sensor profile passes its
   * own catalog over its value vector.
   */
  constructor (spec: FeatureSpec, catalog: SignalCatalog<R> = SIGNALS as unknown as SignalCatalog<R>) {
    this.spec = validateFeatureSpec(spec, catalog)
    this.info = this.spec.features.map((f) => describeFeature(f, catalog))
    this.size = this.info.length
    this.capacity = this.spec.window
    const signalNames: string[] = []
    for (const f of this.info) if (!signalNames.includes(f.signal)) signalNames.push(f.signal)
    this.signals = signalNames.map((s) => catalog[s].compute)
    this.featureSignal = Int32Array.from(this.info, (f) => signalNames.indexOf(f.signal))
    this.featureStat = Int32Array.from(this.info, (f) => STAT_CODE[f.statistic])
    this.windowSlot = new Int32Array(signalNames.length).fill(-1)
    let slots = 0
    for (const f of this.info) {
      const s = signalNames.indexOf(f.signal)
      if (f.statistic !== 'value' && this.windowSlot[s] === -1) this.windowSlot[s] = slots++
    }
    this.windowedCount = slots
    this.current = new Float64Array(signalNames.length)
  }

  /** A new, empty window for one machine. */
  createWindow (): MachineWindow {
    return {
      values: new Float64Array(this.windowedCount * this.capacity),
      ts: new Float64Array(this.capacity),
      head: 0,
      count: 0
    }
  }

  /** Empties a window (after a long gap in a machine's stream). */
  resetWindow (window: MachineWindow): void {
    window.head = 0
    window.count = 0
  }

  /** Adds a reading to the machine's window and writes its features to `out` (length >= size). */
  push (window: MachineWindow, reading: R, ts: number, out: Float64Array): void {
    const cap = this.capacity
    for (let s = 0; s < this.signals.length; s++) {
      const v = this.signals[s](reading)
      this.current[s] = v
      const slot = this.windowSlot[s]
      if (slot !== -1) window.values[slot * cap + window.head] = v
    }
    window.ts[window.head] = ts
    const newest = window.head
    window.head = window.head + 1 === cap ? 0 : window.head + 1
    if (window.count < cap) window.count++
    for (let f = 0; f < this.size; f++) {
      const s = this.featureSignal[f]
      const stat = this.featureStat[f]
      if (stat === 0) {
        out[f] = this.current[s]
        continue
      }
      out[f] = this.statistic(window, this.windowSlot[s] * cap, newest, stat)
    }
  }

  /** Readings of the window that count: all held, or those within `windowMs` of the newest. */
  private activeCount (window: MachineWindow, newest: number): number {
    const n = window.count
    const limit = this.spec.windowMs
    if (limit === undefined) return n
    const cap = this.capacity
    const oldestAllowed = window.ts[newest] - limit
    let k = 1
    while (k < n) {
      let idx = newest - k
      if (idx < 0) idx += cap
      if (window.ts[idx] < oldestAllowed) break
      k++
    }
    return k
  }

  private statistic (window: MachineWindow, base: number, newest: number, stat: number): number {
    const n = this.activeCount(window, newest)
    const cap = this.capacity
    const values = window.values
    const latest = values[base + newest]
    if (stat === 4) {
      if (n < 2) return 0
      let oldest = newest - n + 1
      if (oldest < 0) oldest += cap
      return (latest - values[base + oldest]) / (n - 1)
    }
    let sum = 0
    for (let j = 0, idx = newest; j < n; j++, idx = idx === 0 ? cap - 1 : idx - 1) sum += values[base + idx]
    const mean = sum / n
    if (stat === 1) return mean
    let sq = 0
    for (let j = 0, idx = newest; j < n; j++, idx = idx === 0 ? cap - 1 : idx - 1) {
      const d = values[base + idx] - mean
      sq += d * d
    }
    const std = n > 1 ? Math.sqrt(sq / (n - 1)) : 0
    if (stat === 2) return std
    return std > 0 ? (latest - mean) / std : 0
  }

  /**
   * Feature rows (row-major) of readings in stream order, one window per machine: exactly what the
   * detector computes for them, for training and evaluating on recorded or generated streams.
   */
  rows (readings: Iterable<R & { machineId: string, ts: number }>): Float64Array {
    const windows = new Map<string, MachineWindow>()
    const list = Array.isArray(readings) ? readings as ReadonlyArray<R & { machineId: string, ts: number }> : [...readings]
    const out = new Float64Array(list.length * this.size)
    const row = new Float64Array(this.size)
    for (let i = 0; i < list.length; i++) {
      const r = list[i]
      let w = windows.get(r.machineId)
      if (w === undefined) windows.set(r.machineId, w = this.createWindow())
      this.push(w, r, r.ts, row)
      out.set(row, i * this.size)
    }
    return out
  }

  /** Timestamps of the oldest and newest readings that count in a window. */
  windowSpan (window: MachineWindow): { from: number, to: number } {
    if (window.count === 0) return { from: 0, to: 0 }
    const newest = (window.head - 1 + this.capacity) % this.capacity
    const oldest = (newest - this.activeCount(window, newest) + 1 + this.capacity) % this.capacity
    return { from: window.ts[oldest], to: window.ts[newest] }
  }
}

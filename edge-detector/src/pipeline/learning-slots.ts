import { machineHash } from './shard.js'

/** Rows kept while a machine learns with a duration only (no reading count to size the buffer by). */
export const DURATION_ONLY_ROWS = 4096

/**
 * The learning state of every machine slot whose profile learns its own baseline: the feature rows
 * collected so far (one Float64Array per learning machine, sized by the goal and released when the
 * baseline is trained), how many readings were seen, and since when. Past the buffer's size the rows
 * are a uniform sample of all seen (reservoir sampling, seeded from the machine id so that the same
 * stream gives the same sample).
 */
export class LearningSlots {
  /**
   * 1 while the slot's machine is learning (not scored yet), 2 while it relearns (scored by its current
   * baseline while the next one collects its normal readings), 0 otherwise.
   */
  readonly active: Uint8Array
  /** Readings counted towards the goal. */
  readonly seen: Float64Array
  /** Reading time of the first of them. */
  readonly startTs: Float64Array
  private readonly rows: Array<Float64Array | undefined>
  private readonly held: Uint32Array
  /** Rows offered to {@link addRow} since the start. */
  private readonly offered: Float64Array
  private readonly width: Uint16Array
  private readonly random: Uint32Array

  constructor (capacity: number) {
    this.active = new Uint8Array(capacity)
    this.seen = new Float64Array(capacity)
    this.startTs = new Float64Array(capacity)
    this.rows = new Array(capacity).fill(undefined)
    this.held = new Uint32Array(capacity)
    this.offered = new Float64Array(capacity)
    this.width = new Uint16Array(capacity)
    this.random = new Uint32Array(capacity)
  }

  /**
   * Starts (or starts over) a slot's learning with room for `rows` rows of `width` features; `relearn`:
   * while its current baseline keeps scoring.
   */
  start (slot: number, machineId: string, rows: number, width: number, relearn = false): void {
    this.active[slot] = relearn ? 2 : 1
    this.seen[slot] = 0
    this.startTs[slot] = NaN
    this.held[slot] = 0
    this.offered[slot] = 0
    this.width[slot] = width
    this.random[slot] = machineHash(machineId) || 1
    const size = rows * width
    const current = this.rows[slot]
    this.rows[slot] = current !== undefined && current.length === size ? current : new Float64Array(size)
  }

  /** Ends a slot's learning and releases its rows. */
  stop (slot: number): void {
    this.active[slot] = 0
    this.rows[slot] = undefined
    this.held[slot] = 0
  }

  /** True while the slot's machine learns its first baseline (or one after a reset): not scored. */
  isLearning (slot: number): boolean {
    return this.active[slot] === 1
  }

  /** True while the slot's machine collects rows for a new baseline, scored by its current one. */
  isRelearning (slot: number): boolean {
    return this.active[slot] === 2
  }

  /** Counts a reading towards the goal (a reading with a full window also adds its row: see {@link addRow}). */
  count (slot: number, ts: number): void {
    if (Number.isNaN(this.startTs[slot])) this.startTs[slot] = ts
    this.seen[slot]++
  }

  /** Keeps a feature row (or, once the buffer is full, may replace a kept one at random). */
  addRow (slot: number, row: Float64Array): void {
    const rows = this.rows[slot]
    if (rows === undefined) return
    const width = this.width[slot]
    const capacity = rows.length / width
    const held = this.held[slot]
    const k = ++this.offered[slot]
    let at = held
    if (held < capacity) {
      this.held[slot] = held + 1
    } else {
      // Algorithm R: the k-th row replaces a kept one with probability capacity / k.
      at = Math.floor(this.nextRandom(slot) * k)
      if (at >= capacity) return
    }
    rows.set(row.subarray(0, width), at * width)
  }

  /** The rows kept, row-major (a view: copy it to keep it past {@link stop}). */
  rowsOf (slot: number): Float64Array {
    const rows = this.rows[slot]
    if (rows === undefined) return new Float64Array(0)
    return rows.subarray(0, this.held[slot] * this.width[slot])
  }

  /** Rows kept. */
  heldOf (slot: number): number {
    return this.held[slot]
  }

  private nextRandom (slot: number): number {
    // xorshift32: a few integer operations per row, enough for picking reservoir positions.
    let x = this.random[slot]
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.random[slot] = x >>> 0
    return (x >>> 0) / 4294967296
  }
}

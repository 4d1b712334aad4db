/**
 * The most recent feature rows of readings that were not anomalous, in a fixed ring of typed memory:
 * the training set of scheduled retraining.
 */
export class FeatureReservoir {
  readonly capacity: number
  readonly width: number
  private readonly rows: Float64Array
  private head = 0
  private count = 0

  constructor (capacity: number, width: number) {
    this.capacity = capacity
    this.width = width
    this.rows = new Float64Array(capacity * width)
  }

  /** Rows held. */
  get size (): number {
    return this.count
  }

  /** Copies one row (the first `width` values of `row`). */
  add (row: Float64Array): void {
    if (this.capacity === 0) return
    const base = this.head * this.width
    for (let i = 0; i < this.width; i++) this.rows[base + i] = row[i]
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1
    if (this.count < this.capacity) this.count++
  }

  /** A row-major copy of the rows held, oldest first. */
  snapshot (): Float64Array {
    const out = new Float64Array(this.count * this.width)
    const start = (this.head - this.count + this.capacity) % Math.max(this.capacity, 1)
    for (let r = 0; r < this.count; r++) {
      const from = ((start + r) % this.capacity) * this.width
      out.set(this.rows.subarray(from, from + this.width), r * this.width)
    }
    return out
  }

  clear (): void {
    this.head = 0
    this.count = 0
  }
}

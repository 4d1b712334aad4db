/**
 * A min-heap on `ts` holding up to `capacity` records: recordings written by several machines (or merged
 * files) are only roughly in time order, and this restores the order of anything less than `capacity`
 * records out of place without reading the whole file into memory.
 */
export class ReorderBuffer<T extends { telemetry: { ts: number } }> {
  private readonly heap: T[] = []
  /** Sequence of arrival, to keep equal timestamps in file order. */
  private readonly order: number[] = []
  private arrivals = 0

  constructor (readonly capacity: number) {}

  get size (): number {
    return this.heap.length
  }

  /** Adds a record; when over capacity, returns the earliest one. */
  push (item: T): T | undefined {
    this.insert(item)
    return this.heap.length > this.capacity ? this.pop() : undefined
  }

  /** Removes and returns the earliest record. */
  pop (): T | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop() as T
    const lastOrder = this.order.pop() as number
    if (h.length > 0) {
      h[0] = last
      this.order[0] = lastOrder
      this.down(0)
    }
    return top
  }

  private less (i: number, j: number): boolean {
    const a = this.heap[i].telemetry.ts
    const b = this.heap[j].telemetry.ts
    return a < b || (a === b && this.order[i] < this.order[j])
  }

  private swap (i: number, j: number): void {
    const h = this.heap
    const o = this.order;
    [h[i], h[j]] = [h[j], h[i]];
    [o[i], o[j]] = [o[j], o[i]]
  }

  private insert (item: T): void {
    this.heap.push(item)
    this.order.push(this.arrivals++)
    let i = this.heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  private down (i: number): void {
    const n = this.heap.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && this.less(l, m)) m = l
      if (r < n && this.less(r, m)) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }
}

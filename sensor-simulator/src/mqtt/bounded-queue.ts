/**
 * A ring buffer of (topic, payload) pairs with a fixed capacity: when full, the oldest message is dropped
 * and counted, so a long outage costs the oldest readings rather than unbounded memory.
 */
export class BoundedQueue {
  private readonly topics: Array<string | undefined>
  private readonly payloads: Array<string | Buffer | undefined>
  private head = 0
  private size = 0
  /** Messages dropped because the queue was full, since creation. */
  dropped = 0

  constructor (readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`queue capacity must be an integer >= 0, got ${capacity}`)
    this.topics = new Array(capacity)
    this.payloads = new Array(capacity)
  }

  get length (): number {
    return this.size
  }

  /** Adds a message; returns false when that dropped the oldest one (or this one, with capacity 0). */
  push (topic: string, payload: string | Buffer): boolean {
    if (this.capacity === 0) {
      this.dropped++
      return false
    }
    const tail = (this.head + this.size) % this.capacity
    this.topics[tail] = topic
    this.payloads[tail] = payload
    if (this.size < this.capacity) {
      this.size++
      return true
    }
    this.head = (this.head + 1) % this.capacity
    this.dropped++
    return false
  }

  /** Removes the oldest message and passes it to `fn`; false when empty. */
  shift (fn: (topic: string, payload: string | Buffer) => void): boolean {
    if (this.size === 0) return false
    const topic = this.topics[this.head] as string
    const payload = this.payloads[this.head] as string | Buffer
    this.topics[this.head] = undefined
    this.payloads[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.size--
    fn(topic, payload)
    return true
  }
}

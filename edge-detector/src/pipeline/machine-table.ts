import type { MachineWindow } from '@factory-edge/shared/ml'

/** Out-of-order readings up to this many sequence numbers behind the newest are told from duplicates. */
export const SEEN_SEQS = 256
export const SEEN_WORDS = SEEN_SEQS / 32

/**
 * Which machines are tracked, in which slot, and their reading order (sequence numbers, newest
 * timestamp, window), for a bounded number of machines: a structure of typed arrays indexed by slot, with
 * an intrusive least-recently-seen list, so that looking up, touching and evicting a machine allocates
 * nothing on the hot path. Other per-machine state (alerts, point tags) lives with its owner, in arrays
 * indexed by the same slot.
 */
export class MachineTable {
  readonly capacity: number
  /** Machine id per slot. */
  readonly ids: Array<string | undefined>
  /** Feature window per slot, created on first use and reused after an eviction. */
  readonly windows: Array<MachineWindow | undefined>
  /** Highest sequence number seen, -1 before the first reading. */
  readonly maxSeq: Float64Array
  /** Timestamp of the newest reading added to the window. */
  readonly lastTs: Float64Array
  /**
   * Which of the last {@link SEEN_SEQS} sequence numbers were seen, as a ring of bits indexed by
   * seq mod SEEN_SEQS ({@link SEEN_WORDS} words per slot): tells a duplicate from a late reading.
   */
  readonly seen: Uint32Array

  private readonly index = new Map<string, number>()
  private readonly prev: Int32Array
  private readonly next: Int32Array
  /** Most recently seen slot. */
  private head = -1
  /** Least recently seen slot. */
  private tail = -1
  private used = 0
  /** Set by {@link lookup}: the id evicted to make room, if any. */
  evictedId: string | undefined = undefined
  /** Set by {@link lookup}: true when the machine was not tracked before. */
  created = false

  constructor (capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`machine capacity must be a positive integer, got ${capacity}`)
    this.capacity = capacity
    this.ids = new Array(capacity).fill(undefined)
    this.windows = new Array(capacity).fill(undefined)
    this.maxSeq = new Float64Array(capacity)
    this.lastTs = new Float64Array(capacity)
    this.seen = new Uint32Array(capacity * SEEN_WORDS)
    this.prev = new Int32Array(capacity).fill(-1)
    this.next = new Int32Array(capacity).fill(-1)
  }

  /** Machines tracked. */
  get size (): number {
    return this.used
  }

  /** The slot of a tracked machine, or -1. Does not change its recency. */
  slotOf (id: string): number {
    return this.index.get(id) ?? -1
  }

  /**
   * The slot of `id`, marked most recently seen; a new machine takes a free slot or evicts the least
   * recently seen one (its id is left in `evictedId`).
   */
  lookup (id: string): number {
    this.evictedId = undefined
    this.created = false
    let slot = this.index.get(id)
    if (slot !== undefined) {
      if (slot !== this.head) {
        this.unlink(slot)
        this.pushFront(slot)
      }
      return slot
    }
    this.created = true
    if (this.used < this.capacity) {
      slot = this.used++
    } else {
      slot = this.tail
      this.evictedId = this.ids[slot]
      if (this.evictedId !== undefined) this.index.delete(this.evictedId)
      this.unlink(slot)
    }
    this.index.set(id, slot)
    this.ids[slot] = id
    this.maxSeq[slot] = -1
    this.lastTs[slot] = 0
    this.seen.fill(0, slot * SEEN_WORDS, (slot + 1) * SEEN_WORDS)
    this.pushFront(slot)
    return slot
  }

  /** True when `seq` (within SEEN_SEQS of the newest) was seen; marks it seen. */
  testAndSetSeen (slot: number, seq: number): boolean {
    const word = slot * SEEN_WORDS + ((seq & (SEEN_SEQS - 1)) >>> 5)
    const bit = (1 << (seq & 31)) >>> 0
    const was = (this.seen[word] & bit) !== 0
    this.seen[word] = (this.seen[word] | bit) >>> 0
    return was
  }

  /** Moves the newest sequence number forward to `seq`, forgetting the positions it reuses. */
  advanceSeq (slot: number, seq: number): void {
    const from = this.maxSeq[slot]
    if (from < 0 || seq - from >= SEEN_SEQS) {
      this.seen.fill(0, slot * SEEN_WORDS, (slot + 1) * SEEN_WORDS)
    } else {
      for (let s = from + 1; s <= seq; s++) {
        const word = slot * SEEN_WORDS + ((s & (SEEN_SEQS - 1)) >>> 5)
        this.seen[word] = (this.seen[word] & ~(1 << (s & 31))) >>> 0
      }
    }
    this.maxSeq[slot] = seq
    this.testAndSetSeen(slot, seq)
  }

  /** Forgets every machine's feature window (after a model with another feature specification). */
  dropWindows (): void {
    this.windows.fill(undefined)
  }

  /** Ids of the tracked machines, most recently seen first. */
  machineIds (): string[] {
    const out: string[] = []
    for (let s = this.head; s !== -1; s = this.next[s]) out.push(this.ids[s] as string)
    return out
  }

  private unlink (slot: number): void {
    const p = this.prev[slot]
    const n = this.next[slot]
    if (p !== -1) this.next[p] = n
    else this.head = n
    if (n !== -1) this.prev[n] = p
    else this.tail = p
    this.prev[slot] = -1
    this.next[slot] = -1
  }

  private pushFront (slot: number): void {
    this.prev[slot] = -1
    this.next[slot] = this.head
    if (this.head !== -1) this.prev[this.head] = slot
    this.head = slot
    if (this.tail === -1) this.tail = slot
  }
}

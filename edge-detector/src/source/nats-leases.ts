import type { KV } from 'nats'
import type { Logger } from '@factory-edge/shared/runtime'

export interface LeaseOptions {
  /** The lease bucket: a KV bucket whose entries expire `ttlMs` after their last write. */
  kv: KV
  /** This instance's name, the value of the leases it holds. */
  instance: string
  partitions: number
  ttlMs: number
  /** Called when a partition's lease is won; its consumer must start (not awaited: renewals go on meanwhile). */
  acquired: (partition: number) => void
  /** Called when a lease is lost (another instance holds it now) or given up; its consumer must stop. */
  released: (partition: number) => Promise<void>
  logger: Logger
}

const MEMBER = 'member.'
const PARTITION = 'partition.'

/**
 * Partition ownership through JetStream KV, without a coordinator of our own: each live instance writes
 * `member.<name>` and the leases it holds (`partition.<p>` = its name) every third of the TTL; an entry
 * not renewed expires with the bucket's max age. A free partition is taken with a create (fails when the
 * key exists), a lease is renewed with an update on its revision (fails when someone else wrote it since),
 * so two instances never both believe they hold one for longer than a renewal round. Every instance aims
 * at its fair share, ceil(partitions / live members): beyond it, it gives leases back (a new instance gets
 * work), below it, it takes free ones (a dead instance's leases once they expire).
 */
export class PartitionLeases {
  private readonly held = new Map<number, number>()
  private timer: NodeJS.Timeout | undefined
  private round: Promise<void> = Promise.resolve()
  private closed = false

  constructor (private readonly o: LeaseOptions) {}

  /** The partitions held now, in order. */
  get owned (): number[] {
    return [...this.held.keys()].sort((a, b) => a - b)
  }

  /** Runs the first round (so that a lone instance starts with all partitions), then one every third of the TTL. */
  async start (): Promise<void> {
    await this.runRound()
    this.timer = setInterval(() => { void this.runRound() }, Math.max(250, Math.floor(this.o.ttlMs / 3)))
  }

  private async runRound (): Promise<void> {
    // Rounds never overlap: a slow one (a node failing over) delays the next.
    this.round = this.round.then(async () => {
      if (this.closed) return
      try {
        await this.renewAndBalance()
      } catch (err) {
        this.o.logger.warn({ error: (err as Error).message }, 'lease round failed; retrying at the next')
      }
    })
    await this.round
  }

  private async renewAndBalance (): Promise<void> {
    const o = this.o
    const value = new TextEncoder().encode(o.instance)
    await o.kv.put(`${MEMBER}${o.instance}`, value)
    for (const [p, revision] of [...this.held]) {
      try {
        this.held.set(p, await o.kv.update(`${PARTITION}${p}`, value, revision))
      } catch (err) {
        if (await this.stillMine(p)) continue
        o.logger.warn({ partition: p, error: (err as Error).message }, 'lost the lease of a partition (it expired and another instance took it)')
        this.held.delete(p)
        await o.released(p)
      }
    }
    const members = await this.liveMembers()
    const share = Math.ceil(o.partitions / Math.max(1, members))
    for (const p of this.owned.reverse()) {
      if (this.held.size <= share) break
      await this.giveBack(p)
    }
    for (const p of this.candidates()) {
      if (this.held.size >= share || this.closed) break
      try {
        const revision = await o.kv.create(`${PARTITION}${p}`, value)
        this.held.set(p, revision)
        o.logger.info({ partition: p, members, share }, 'took the lease of a partition')
        o.acquired(p)
      } catch {
        // Held by a live instance, or by this one before a restart: then it is taken back at once.
        if (await this.stillMine(p)) {
          o.logger.info({ partition: p }, 'took back the lease this instance held before it restarted')
          o.acquired(p)
        } else {
          this.held.delete(p)
        }
      }
    }
  }

  /**
   * After a failed write: true (and the lease held at its current revision) when the lease is ours, at
   * another revision (a reply lost in a failover, or a lease of this instance before it restarted).
   */
  private async stillMine (p: number): Promise<boolean> {
    let entry
    try {
      entry = await this.o.kv.get(`${PARTITION}${p}`)
    } catch {
      // Cannot tell now: a lease held stays held until the next round settles it.
      return this.held.has(p)
    }
    if (entry === null || entry.operation !== 'PUT' || entry.string() !== this.o.instance) return false
    this.held.set(p, entry.revision)
    return true
  }

  private async liveMembers (): Promise<number> {
    const members = []
    for await (const key of await this.o.kv.keys(`${MEMBER}*`)) members.push(key)
    return members.length
  }

  /** Free partitions are tried from an offset of this instance's own, so that instances starting together try different ones first. */
  private candidates (): number[] {
    const n = this.o.partitions
    let offset = 0
    for (const c of this.o.instance) offset = (offset * 31 + c.charCodeAt(0)) % n
    const list = []
    for (let i = 0; i < n; i++) {
      const p = (offset + i) % n
      if (!this.held.has(p)) list.push(p)
    }
    return list
  }

  private async giveBack (p: number): Promise<void> {
    const revision = this.held.get(p)
    this.held.delete(p)
    await this.o.released(p)
    try {
      await this.o.kv.delete(`${PARTITION}${p}`, { previousSeq: revision })
      this.o.logger.info({ partition: p }, 'gave back the lease of a partition')
    } catch (err) {
      this.o.logger.warn({ partition: p, error: (err as Error).message }, 'could not give back a lease; it expires instead')
    }
  }

  /** Stops renewing and gives every lease back (after the consumers stopped), so the others take over at once. */
  async close (): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.round
    this.closed = true
    for (const p of this.owned) await this.giveBack(p)
    await this.o.kv.delete(`${MEMBER}${this.o.instance}`).catch(() => {})
  }
}

import type { JetStreamManager, KV } from 'nats'
import type { Logger } from '@factory-edge/shared/runtime'

export interface LeaseOptions {
  /** The lease bucket: a KV bucket whose entries expire `ttlMs` after their last write. */
  kv: KV
  /** Its name, and the stream manager, to list the members without a consumer. */
  bucket: string
  jsm: JetStreamManager
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
  private readonly timers: Partial<Record<'renew' | 'balance', NodeJS.Timeout>> = {}
  private readonly running: Partial<Record<'renew' | 'balance', Promise<void>>> = {}
  private closed = false

  constructor (private readonly o: LeaseOptions) {}

  /** The partitions held now, in order. */
  get owned (): number[] {
    return [...this.held.keys()].sort((a, b) => a - b)
  }

  /**
   * Renews and balances once (so that a lone instance starts with all partitions, unless the cluster
   * cannot answer yet), then keeps doing both every third of the TTL, in two loops: renewals never wait
   * for a balancing round (which may wait for a partition's replay to stop, or for a slow listing of the
   * members).
   */
  async start (): Promise<void> {
    try {
      await this.renew()
      await this.balance()
    } catch (err) {
      // The cluster cannot answer now (a node restarting): the rounds below try again.
      this.o.logger.warn({ error: (err as Error).message }, 'first lease round failed; retrying at the next')
    }
    this.loop('renew', async () => await this.renew())
    this.loop('balance', async () => await this.balance())
  }

  private loop (name: 'renew' | 'balance', round: () => Promise<void>): void {
    const periodMs = Math.max(250, Math.floor(this.o.ttlMs / 3))
    const next = (): void => {
      this.timers[name] = setTimeout(() => {
        this.running[name] = round().catch((err) => {
          this.o.logger.warn({ error: (err as Error).message }, `lease ${name} round failed; retrying at the next`)
        }).then(() => { if (!this.closed) next() })
      }, periodMs)
    }
    next()
  }

  /** Writes the membership and renews every lease held, all at once; a lease someone else wrote is dropped at once. */
  private async renew (): Promise<void> {
    const o = this.o
    const value = new TextEncoder().encode(o.instance)
    await Promise.all([
      o.kv.put(`${MEMBER}${o.instance}`, value),
      ...[...this.held].map(async ([p, revision]) => {
        try {
          this.held.set(p, await o.kv.update(`${PARTITION}${p}`, value, revision))
        } catch (err) {
          if (!this.held.has(p) || await this.stillMine(p)) return
          o.logger.warn({ partition: p, error: (err as Error).message }, 'lost the lease of a partition (it expired and another instance took it)')
          this.held.delete(p)
          o.released(p).catch((e) => o.logger.warn({ partition: p, error: (e as Error).message }, 'could not stop a lost partition'))
        }
      })
    ])
  }

  /** Gives back leases beyond the fair share, takes free ones below it. */
  private async balance (): Promise<void> {
    const o = this.o
    const value = new TextEncoder().encode(o.instance)
    const members = await this.liveMembers()
    const share = Math.ceil(o.partitions / Math.max(1, members))
    for (const p of this.owned.reverse()) {
      if (this.held.size <= share || this.closed) break
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

  /**
   * Members whose entry is live (written within the TTL, not deleted by a clean stop): the bucket's
   * member subjects from one stream info request, then each entry (a listing of keys would create a
   * consumer every round, too slow on a loaded cluster).
   */
  private async liveMembers (): Promise<number> {
    const prefix = `$KV.${this.o.bucket}.`
    const info = await this.o.jsm.streams.info(`KV_${this.o.bucket}`, { subjects_filter: `${prefix}${MEMBER}>` })
    let live = 0
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const entry = await this.o.kv.get(subject.slice(prefix.length))
      if (entry !== null && entry.operation === 'PUT') live++
    }
    return live
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
    this.closed = true
    clearTimeout(this.timers.renew)
    clearTimeout(this.timers.balance)
    await this.running.renew
    await this.running.balance
    for (const p of this.owned) await this.giveBack(p)
    await this.o.kv.delete(`${MEMBER}${this.o.instance}`).catch(() => {})
  }
}

import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

interface Segment {
  seq: number
  lines: number
}

const SEGMENT_NAME = /^(\d{16})\.lp$/
const PARTIAL_NAME = /^\d{16}\.lp\.tmp$/

/**
 * A bounded, ordered on-disk queue of line-protocol batches: one file per batch, named by an increasing
 * sequence number, so that the oldest is replayed first, a restart finds what was left, and a full
 * spool drops whole oldest batches and counts their points.
 */
export class DiskSpool {
  private readonly segments: Segment[] = []
  private nextSeq = 0
  private points = 0
  /** Points dropped because the spool was full, since start. */
  dropped = 0

  private constructor (readonly dir: string, readonly maxPoints: number) {}

  /** Opens (creating if needed) a spool directory and indexes the batches left in it. */
  static async open (dir: string, maxPoints: number): Promise<DiskSpool> {
    await mkdir(dir, { recursive: true })
    const spool = new DiskSpool(dir, maxPoints)
    const all = await readdir(dir)
    // A batch being written when the process died is only ever a .tmp file (written, then renamed): its
    // points are still in the journal of the points in memory, which the service replays, so it goes.
    for (const name of all) if (PARTIAL_NAME.test(name)) await unlink(join(dir, name)).catch(() => {})
    const names = all.filter((n) => SEGMENT_NAME.test(n)).sort()
    for (const name of names) {
      const text = await readFile(join(dir, name), 'utf8')
      const seq = Number(SEGMENT_NAME.exec(name)?.[1])
      spool.segments.push({ seq, lines: countLines(text) })
      spool.points += countLines(text)
      spool.nextSeq = seq + 1
    }
    return spool
  }

  /** Points waiting. */
  get size (): number {
    return this.points
  }

  /** Batches waiting. */
  get batches (): number {
    return this.segments.length
  }

  /** Appends one batch; when the spool is over its bound, drops the oldest batches (never the new one). */
  async append (lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return
    const seq = this.nextSeq++
    const path = this.pathOf(seq)
    // Write-then-rename: a crash never leaves a half batch that would be replayed.
    await writeFile(path + '.tmp', lines.join('\n'))
    await rename(path + '.tmp', path)
    this.segments.push({ seq, lines: lines.length })
    this.points += lines.length
    while (this.points > this.maxPoints && this.segments.length > 1) {
      const old = this.segments.shift() as Segment
      this.points -= old.lines
      this.dropped += old.lines
      await unlink(this.pathOf(old.seq)).catch(() => {})
    }
  }

  /** The oldest batch, or undefined when empty. */
  async peek (): Promise<{ seq: number, lines: string[] } | undefined> {
    const first = this.segments[0]
    if (first === undefined) return undefined
    const text = await readFile(this.pathOf(first.seq), 'utf8')
    return { seq: first.seq, lines: text.split('\n') }
  }

  /** Removes a replayed batch (no-op if it was already dropped). */
  async remove (seq: number): Promise<void> {
    const i = this.segments.findIndex((s) => s.seq === seq)
    if (i === -1) return
    const [segment] = this.segments.splice(i, 1)
    this.points -= segment.lines
    await unlink(this.pathOf(seq)).catch(() => {})
  }

  private pathOf (seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, '0')}.lp`)
  }
}

function countLines (text: string): number {
  if (text.length === 0) return 0
  let n = 1
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}

import { closeSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'

const JOURNAL_NAME = /^journal-(\d{16})\.lp$/

/**
 * The write-ahead journal of points held in memory: every line the writer queues is appended here
 * before the reading it came from is acknowledged to the broker, so a killed process leaves its
 * unsent points on disk. One file per batch: when a batch is written to InfluxDB or moved into the
 * spool its file is deleted. No fsync: this guards against a process crash, not a power cut.
 */
export class PointJournal {
  private readonly pending: string[] = []
  private fd: number
  private seq: number
  private bytes = 0

  private constructor (readonly dir: string, seq: number) {
    this.seq = seq
    this.fd = openSync(this.pathOf(seq), 'a')
  }

  /** Reads the journal files a killed process left in `dir`, oldest first, and the next free sequence number. */
  static leftovers (dir: string): { files: Array<{ path: string, lines: string[] }>, nextSeq: number } {
    const names = readdirSync(dir).filter((n) => JOURNAL_NAME.test(n)).sort()
    let nextSeq = 0
    const files = names.map((name) => {
      nextSeq = Number(JOURNAL_NAME.exec(name)?.[1]) + 1
      const path = join(dir, name)
      // A line is complete once its newline is on disk; anything after the last one is dropped.
      const text = readFileSync(path, 'utf8')
      const end = text.lastIndexOf('\n')
      return { path, lines: end === -1 ? [] : text.slice(0, end).split('\n') }
    })
    return { files, nextSeq }
  }

  /** Opens a fresh journal file in `dir`, numbered from `seq`. */
  static open (dir: string, seq: number): PointJournal {
    return new PointJournal(dir, seq)
  }

  /** Queues a line; it reaches the file at the next {@link commit}. */
  add (line: string): void {
    this.pending.push(line)
  }

  /** Appends the queued lines with one write. */
  commit (): void {
    if (this.pending.length === 0) return
    const text = this.pending.join('\n') + '\n'
    this.pending.length = 0
    this.bytes += writeSync(this.fd, text)
  }

  /** Commits, closes the current file (which then holds exactly one batch) and starts the next; returns the closed file, if it holds anything. */
  rotate (): string | undefined {
    this.commit()
    if (this.bytes === 0) return undefined
    closeSync(this.fd)
    const path = this.pathOf(this.seq)
    this.seq++
    this.bytes = 0
    this.fd = openSync(this.pathOf(this.seq), 'a')
    return path
  }

  /** Deletes a closed file whose batch is written or spooled. */
  release (path: string | undefined): void {
    if (path !== undefined) PointJournal.remove(path)
  }

  /** Deletes a journal file (one already replayed, or an empty one). */
  static remove (path: string): void {
    try {
      unlinkSync(path)
    } catch {}
  }

  /** Closes the current file; removes it when nothing was journalled in it (no batch left behind). */
  close (): void {
    this.commit()
    closeSync(this.fd)
    if (this.bytes === 0) this.release(this.pathOf(this.seq))
  }

  private pathOf (seq: number): string {
    return join(this.dir, `journal-${String(seq).padStart(16, '0')}.lp`)
  }
}

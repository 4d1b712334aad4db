/**
 * A one-line progress indicator for long steps (download, parsing a large file), drawn on stderr
 * only when it is a terminal, so that logs and pipes stay clean.
 */
export class Progress {
  private lastDraw = 0
  private readonly active: boolean

  constructor (private readonly label: string, private readonly total: number | undefined, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.active = stream.isTTY === true
  }

  /** Updates the line with `done` units (bytes) out of the total; redrawn at most ten times a second. */
  update (done: number, total = this.total): void {
    if (!this.active) return
    const now = Date.now()
    if (now - this.lastDraw < 100) return
    this.lastDraw = now
    const mb = (done / 1048576).toFixed(1)
    const text = total !== undefined && total > 0
      ? `${this.label} ${Math.min(100, Math.floor(done / total * 100))}% (${mb} of ${(total / 1048576).toFixed(1)} MB)`
      : `${this.label} ${mb} MB`
    this.stream.write(`\r${text}\x1b[K`)
  }

  /** Clears the line. */
  done (): void {
    if (this.active && this.lastDraw > 0) this.stream.write('\r\x1b[K')
  }
}

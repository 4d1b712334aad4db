import { DataError } from '@factory-edge/shared/data'

const EXAMPLES = 5

/**
 * What to do with a row that cannot be used: fail with its line and column, or, with
 * `--skip-bad-rows`, count it, keep the first few reasons and carry on.
 */
export class BadRows {
  count = 0
  readonly examples: string[] = []

  constructor (private readonly path: string, private readonly skip: boolean) {}

  /** Records a bad row; throws a DataError unless skipping. */
  reject (line: number, problem: string): void {
    const message = `${this.path} line ${line}: ${problem}`
    if (!this.skip) throw new DataError(`${message} (use --skip-bad-rows to skip such rows)`)
    this.count++
    if (this.examples.length < EXAMPLES) this.examples.push(message)
  }

  summary (): { count: number, examples: string[] } {
    return { count: this.count, examples: [...this.examples] }
  }
}

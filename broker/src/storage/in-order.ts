/**
 * Releases the results of concurrent asynchronous calls in the order the calls were made, while the
 * work itself still overlaps.
 */
export class InOrder {
  private tail: Promise<unknown> = Promise.resolve()

  /** Resolves (or rejects) like `work`, but never before the work passed in earlier has settled. */
  run<T> (work: Promise<T>): Promise<T> {
    const result = this.tail.then(async () => await work)
    this.tail = result.catch(() => {})
    return result
  }
}

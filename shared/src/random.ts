/**
 * Seeded pseudo-random numbers (mulberry32 state stepping with a splitmix-style output), so that the
 * forest and the simulator are reproducible: the same seed gives the same sequence on every platform.
 */
export class Random {
  private state: number

  constructor (seed: number) {
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0
  }

  /** Uniform float in [0, 1). */
  next (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Uniform integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Uniform float in [lo, hi). */
  uniform (lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }

  /** Standard normal variate (Box-Muller, one of the pair). */
  normal (mean = 0, std = 1): number {
    let u = this.next()
    while (u === 0) u = this.next()
    const v = this.next()
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** A new generator whose sequence depends only on this one's seed and `stream`. */
  fork (stream: number): Random {
    return new Random((this.state ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0)
  }
}

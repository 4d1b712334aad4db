import { performance } from 'node:perf_hooks'
import { SIMULATOR_DEFAULTS } from './defaults.js'

/** Called for every reading that is due: machine `index` takes reading number `cycle`. */
export type SlotHandler = (index: number, cycle: number) => void

export interface SchedulerOptions {
  /** Machines served, each `rateHz` times a second. */
  machines: number
  rateHz: number
  /** Shortest sleep between wake-ups; due readings are handled in batches. */
  minSleepMs?: number
  /** Most readings handled in one turn of the event loop before yielding to I/O. */
  maxBatch?: number
}

/**
 * One timer for the whole fleet, with absolute deadlines: reading j (machine j mod N, cycle j div N) is
 * due at t0 + j / (N·R) seconds, so lateness never accumulates (setInterval would add each callback's
 * delay). Machines are spread evenly over the period instead of firing in one burst. When the process
 * falls behind (a GC pause, a busy CPU), the missed readings are caught up in bounded batches.
 */
export class FleetScheduler {
  /** Readings handed out so far (all machines). */
  slots = 0
  private readonly slotMs: number
  private readonly minSleepMs: number
  private readonly maxBatch: number
  private t0 = 0
  private timer: NodeJS.Timeout | undefined
  private running = false

  constructor (private readonly options: SchedulerOptions, private readonly onSlot: SlotHandler) {
    if (options.machines < 1) throw new RangeError('the scheduler needs at least one machine')
    if (!(options.rateHz > 0)) throw new RangeError('the reading rate must be > 0')
    this.slotMs = 1000 / (options.machines * options.rateHz)
    this.minSleepMs = options.minSleepMs ?? SIMULATOR_DEFAULTS.scheduler.minSleepMs
    this.maxBatch = options.maxBatch ?? SIMULATOR_DEFAULTS.scheduler.maxBatch
  }

  /** Starts handing out readings; the first (machine 0, cycle 0) is due immediately. */
  start (): void {
    if (this.running) return
    this.running = true
    this.t0 = performance.now()
    this.run()
  }

  stop (): void {
    this.running = false
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Readings that should have been handed out by now. */
  due (now = performance.now()): number {
    return Math.floor((now - this.t0) / this.slotMs) + 1
  }

  private readonly run = (): void => {
    this.timer = undefined
    if (!this.running) return
    const n = this.options.machines
    const target = this.due()
    const end = Math.min(target, this.slots + this.maxBatch)
    for (let j = this.slots; j < end && this.running; j++) {
      this.slots = j + 1
      this.onSlot(j % n, Math.floor(j / n))
    }
    if (!this.running) return
    if (this.slots < target) {
      // Behind schedule: yield to I/O (the socket must drain) and continue right away.
      this.timer = setTimeout(this.run, 0)
      return
    }
    const nextDue = this.t0 + this.slots * this.slotMs
    const sleep = Math.max(this.minSleepMs, nextDue - performance.now())
    this.timer = setTimeout(this.run, sleep)
  }
}

/** What the launcher needs of the simulator to inject failures. */
export interface FailureTarget {
  injectFailure: (machineId: string, mode: string) => void
}

/** Failure modes that a new user can recognise in the features (AI4I: heat dissipation, power, overstrain, tool wear). */
export const DEMO_FAILURE_MODES = ['HDF', 'PWF', 'OSF', 'TWF'] as const

/**
 * Injects one failure every `everyMs`, the first after `firstMs`, into the machines in turn and with
 * the modes in turn, so that `npm start` shows an alert soon and keeps showing them.
 */
export class FailureInjector {
  private timer?: NodeJS.Timeout
  private count = 0

  constructor (
    private readonly target: FailureTarget,
    private readonly machineIds: readonly string[],
    private readonly onInject: (machineId: string, mode: string) => void,
    private readonly everyMs: number,
    private readonly firstMs = 5000,
    private readonly modes: readonly string[] = DEMO_FAILURE_MODES
  ) {}

  /** Starts the schedule (no-op when everyMs is 0). */
  start (): void {
    if (this.everyMs <= 0 || this.machineIds.length === 0) return
    this.schedule(this.firstMs)
  }

  private schedule (delay: number): void {
    this.timer = setTimeout(() => {
      const machineId = this.machineIds[this.count % this.machineIds.length]
      const mode = this.modes[this.count % this.modes.length]
      this.count++
      this.target.injectFailure(machineId, mode)
      this.onInject(machineId, mode)
      this.schedule(this.everyMs)
    }, delay)
    this.timer.unref()
  }

  /** Stops injecting. */
  stop (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
  }
}

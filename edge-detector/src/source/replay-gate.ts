import type { AnomalyEvent, MachineState, RejectedMessage } from '@factory-edge/shared/contract'
import type { Model } from '@factory-edge/shared/ml'
import type { SensorProfile } from '@factory-edge/shared/profiles'
import type { PipelineSink } from '../pipeline/pipeline.js'

/**
 * The pipeline's sink, closed while a new partition owner replays readings that the previous owner
 * already scored, published and stored: the replay rebuilds windows and alert state, and nothing it
 * produces goes out a second time. Closed only around one synchronous `process` call at a time, so the
 * readings of other partitions, processed in between, are never muted.
 */
export class ReplayGate implements PipelineSink {
  private closed = false

  constructor (private readonly sink: PipelineSink) {}

  /** Runs `fn` (a pipeline call) with the sink closed. */
  muted<T> (fn: () => T): T {
    this.closed = true
    try {
      return fn()
    } finally {
      this.closed = false
    }
  }

  anomaly (event: AnomalyEvent, state: MachineState): void {
    if (!this.closed) this.sink.anomaly(event, state)
  }

  rejected (message: RejectedMessage): void {
    if (!this.closed) this.sink.rejected(message)
  }

  line (text: string): void {
    if (!this.closed) this.sink.line(text)
  }

  evicted (machineId: string, tracked: number): void {
    this.sink.evicted(machineId, tracked)
  }

  tracked (state: MachineState): void {
    if (!this.closed) this.sink.tracked(state)
  }

  state (state: MachineState): void {
    if (!this.closed) this.sink.state?.(state)
  }

  /** A baseline learned during a replay is the machine's state, not an output: it is kept (saved) all the same. */
  learned (machineId: string, profile: SensorProfile, model: Model): void {
    this.sink.learned?.(machineId, profile, model)
  }

  baselineRefused (machineId: string, profile: SensorProfile, error: Error): void {
    this.sink.baselineRefused?.(machineId, profile, error)
  }
}

import type { AnomalyEvent, MachineState, RejectedMessage } from '@factory-edge/shared/contract'
import type { PipelineSink } from '../../src/pipeline/pipeline.js'
import type { Model } from '@factory-edge/shared/ml'
import type { SensorProfile } from '@factory-edge/shared/profiles'

/** A pipeline sink that keeps everything it is given. */
export class RecordingSink implements PipelineSink {
  events: AnomalyEvent[] = []
  states: MachineState[] = []
  rejects: RejectedMessage[] = []
  lines: string[] = []
  evictions: string[] = []
  tracked: (state: MachineState) => void = (state) => { this.states.push(state) }
  anomaly = (event: AnomalyEvent, state: MachineState): void => { this.events.push(event); this.states.push(state) }
  rejected = (message: RejectedMessage): void => { this.rejects.push(message) }
  line = (text: string): void => { this.lines.push(text) }
  evicted = (id: string): void => { this.evictions.push(id) }
  state?: (state: MachineState) => void
  learned?: (machineId: string, profile: SensorProfile, model: Model) => void
  baselineRefused?: (machineId: string, profile: SensorProfile, error: Error) => void
}

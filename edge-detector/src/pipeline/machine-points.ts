import { sensorFaultText, type AnomalyEvent } from '@factory-edge/shared/contract'
import { eventLine, machineTags, scoreLine, telemetryLine, thresholdField } from './line-protocol.js'

/** What the points of a machine need from its profile lane: names and the model's constant text. */
export interface PointsContext {
  readonly profileName: string
  /** `<signal>=` per raw signal. */
  readonly signalKeys: readonly string[]
  /** `,<feature>=` per feature. */
  readonly featureKeys: readonly string[]
}

/**
 * The InfluxDB side of the pipeline: line protocol for a machine's readings, scores and alert changes,
 * with the text that stays the same (a machine's tag set and threshold field per slot, a profile's field
 * keys) built once instead of per reading.
 */
export class MachinePoints {
  /** Tag set (`machine=..,profile=..,model_version=..`) per machine-table slot, built on the slot's first point. */
  private readonly tags: Array<string | undefined>
  /** `,threshold=..` per slot, built with the tags. */
  private readonly thresholds: string[]

  constructor (capacity: number) {
    this.tags = new Array(capacity).fill(undefined)
    this.thresholds = new Array(capacity).fill('')
  }

  /** The slot holds another machine, or its model changed: its constant text is built again. */
  reset (slot: number): void {
    this.tags[slot] = undefined
  }

  /** Every slot's model changed. */
  resetAll (): void {
    this.tags.fill(undefined)
  }

  telemetry (slot: number, machineId: string, lane: PointsContext, modelVersion: string, threshold: number, values: Float64Array, ts: number): string {
    return telemetryLine(this.tagsOf(slot, machineId, lane, modelVersion, threshold), lane.signalKeys, values, ts)
  }

  score (slot: number, machineId: string, lane: PointsContext, modelVersion: string, ts: number, score: number, threshold: number, features: Float64Array): string {
    return scoreLine(this.tagsOf(slot, machineId, lane, modelVersion, threshold), ts, score, threshold, this.thresholds[slot], lane.featureKeys, features)
  }

  event (slot: number, lane: PointsContext, event: AnomalyEvent): string {
    const fault = event.kind === 'sensor_fault' ? sensorFaultText(event) : undefined
    const tags = this.tagsOf(slot, event.machineId, lane, event.modelVersion, event.threshold)
    return eventLine(tags, event.ts, event.state, event.severity, event.kind ?? 'process', event.score, event.threshold, event.features[0]?.name ?? '', fault)
  }

  private tagsOf (slot: number, machineId: string, lane: PointsContext, modelVersion: string, threshold: number): string {
    let tags = this.tags[slot]
    if (tags === undefined) {
      tags = this.tags[slot] = machineTags(machineId, lane.profileName, modelVersion)
      this.thresholds[slot] = thresholdField(threshold)
    }
    return tags
  }
}

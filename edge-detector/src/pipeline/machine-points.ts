import { sensorFaultText, type AnomalyEvent, type Telemetry } from '@factory-edge/shared/contract'
import { eventLine, featureFieldKeys, machineTags, scoreLine, telemetryLine, thresholdField } from './line-protocol.js'

/**
 * The InfluxDB side of the pipeline: line protocol for a machine's readings, scores and alert changes,
 * with the text that stays the same (a machine's tag set per slot, the model's feature keys and
 * threshold) built once instead of per reading.
 */
export class MachinePoints {
  /** Tag set (`machine=..,model_version=..`) per machine-table slot, built on the slot's first point. */
  private readonly tags: Array<string | undefined>
  private featureKeys: string[] = []
  private thresholdText = ''
  private modelVersion = ''

  constructor (capacity: number) {
    this.tags = new Array(capacity).fill(undefined)
  }

  /** Uses a model's version, threshold and feature names from the next point on. */
  setModel (version: string, threshold: number, features: readonly string[]): void {
    this.modelVersion = version
    this.thresholdText = thresholdField(threshold)
    this.featureKeys = featureFieldKeys(features)
    this.tags.fill(undefined)
  }

  /** The slot holds another machine now. */
  reset (slot: number): void {
    this.tags[slot] = undefined
  }

  telemetry (slot: number, r: Telemetry): string {
    return telemetryLine(this.tagsOf(slot, r.machineId), r)
  }

  score (slot: number, r: Telemetry, score: number, threshold: number, features: Float64Array): string {
    return scoreLine(this.tagsOf(slot, r.machineId), r.ts, score, threshold, this.thresholdText, this.featureKeys, features)
  }

  event (slot: number, r: Telemetry, event: AnomalyEvent): string {
    const fault = event.kind === 'sensor_fault' ? sensorFaultText(event) : undefined
    return eventLine(this.tagsOf(slot, r.machineId), r.ts, event.state, event.severity, event.kind ?? 'process', event.score, event.threshold, event.features[0]?.name ?? '', fault)
  }

  private tagsOf (slot: number, machineId: string): string {
    let tags = this.tags[slot]
    if (tags === undefined) tags = this.tags[slot] = machineTags(machineId, this.modelVersion)
    return tags
  }
}

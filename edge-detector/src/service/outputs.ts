import type { EventEmitter } from 'node:events'
import { DETECTOR_FIELDS, machineTopic, type AnomalyEvent, type MachineState, type RejectedMessage } from '@factory-edge/shared/contract'
import type { Model } from '@factory-edge/shared/ml'
import type { SensorProfile } from '@factory-edge/shared/profiles'
import { type Logger } from '@factory-edge/shared/runtime'
import type { RateLimitedLog } from '@factory-edge/shared/runtime'
import type { PipelineSink } from '../pipeline/pipeline.js'
import { detectorLine } from '../pipeline/line-protocol.js'
import type { PointWriter } from '../influx/point-writer.js'
import type { MqttInput } from './mqtt-input.js'
import type { DetectorEvents } from './types.js'

export interface OutputsOptions {
  mqtt: MqttInput
  events: EventEmitter<DetectorEvents>
  topicPrefix: string
  publishRejected: boolean
  logger: Logger
  rateLimited: RateLimitedLog
  /** Persists a machine's learned baseline (asynchronously: the pipeline does not wait for it). */
  saveBaseline?: (machineId: string, profile: SensorProfile, model: Model) => Promise<void>
}

/**
 * Where the pipeline's results go: anomaly events and machine state to MQTT subscribers, rejected
 * payloads to their topic, points to InfluxDB, and the same as typed events and log lines.
 */
export class DetectorOutputs implements PipelineSink {
  /** Absent while no InfluxDB is configured (the writer opens after the pipeline exists). */
  private points: PointWriter | undefined

  constructor (private readonly o: OutputsOptions) {}

  setPoints (points: PointWriter): void {
    this.points = points
  }

  anomaly (event: AnomalyEvent, state: MachineState): void {
    const o = this.o
    o.mqtt.publish(machineTopic('anomalies', event.machineId, o.topicPrefix), JSON.stringify(event), { qos: 1, retain: false })
    this.tracked(state)
    const top = event.features[0]
    o.logger.info({ machine: event.machineId, state: event.state, severity: event.severity, score: round(event.score), threshold: round(event.threshold), top: top?.name }, `anomaly ${event.state}`)
    o.events.emit('anomaly', event)
  }

  tracked (state: MachineState): void {
    this.o.mqtt.publish(machineTopic('state', state.machineId, this.o.topicPrefix), JSON.stringify(state), { qos: 1, retain: true })
  }

  state (state: MachineState): void {
    this.tracked(state)
    const o = this.o
    if (state.state === 'learning' && (state.learning?.readings ?? 0) === 0) {
      o.logger.info({ machine: state.machineId, profile: state.profile, of: state.learning?.of }, 'learning its baseline (again)')
    } else if (state.state === 'learning') {
      o.logger.debug({ machine: state.machineId, profile: state.profile, progress: state.learning?.progress }, 'learning')
    }
  }

  learned (machineId: string, profile: SensorProfile, model: Model): void {
    const o = this.o
    o.logger.info({ machine: machineId, profile: profile.name, version: model.version, threshold: round(model.threshold), rows: model.training.rows }, 'baseline learned: scoring from now on')
    o.events.emit('baseline', machineId, profile.name, model)
    o.saveBaseline?.(machineId, profile, model).catch((err: Error) => {
      o.logger.error({ machine: machineId, profile: profile.name, error: err.message }, 'could not save the learned baseline: it is used, but a restart will learn again')
    })
  }

  baselineRefused (machineId: string, profile: SensorProfile, error: Error): void {
    this.o.rateLimited.warn('baseline-refused', { machine: machineId, profile: profile.name, error: error.message }, 'the machine\'s baseline could not be used: it learns again')
  }

  rejected (message: RejectedMessage): void {
    const o = this.o
    o.rateLimited.warn(`reject:${message.reason}`, { machine: message.machineId, topic: message.topic, reason: message.reason, detail: message.detail }, 'rejected a message')
    if (o.publishRejected && message.machineId !== '' && o.mqtt.connected) {
      o.mqtt.publish(machineTopic('rejected', message.machineId, o.topicPrefix), JSON.stringify(message), { qos: 0 })
    }
    o.events.emit('rejected', message)
  }

  line (text: string): void {
    this.points?.write(text)
  }

  evicted (machineId: string, tracked: number): void {
    this.o.rateLimited.warn('evicted', { machine: machineId, tracked }, 'tracking too many machines: forgot the least recently seen')
  }

  /** The detector's own counters as one InfluxDB point, for the dashboards' health panel. */
  statsPoint (clientId: string, values: Record<typeof DETECTOR_FIELDS[number], number>): void {
    this.points?.write(detectorLine(clientId, Date.now(), values))
  }
}

function round (x: number): number {
  return Math.round(x * 1e4) / 1e4
}

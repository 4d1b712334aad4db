import type { EventEmitter } from 'node:events'
import type { AnomalyEvent, RejectedMessage, RejectReason } from '@factory-edge/shared/contract'
import type { Model } from '@factory-edge/shared/ml'
import type { HealthReport } from '@factory-edge/shared/ops'
import type { DetectorPipeline } from '../pipeline/pipeline.js'
import type { PointWriterStats } from '../influx/options.js'
import type { NatsSourceState } from '../source/nats-source.js'

/** A snapshot of the detector's counters (see `/metrics` for the same as Prometheus text). */
export interface DetectorStats {
  connected: boolean
  modelVersion: string
  messagesIn: number
  scored: number
  rejected: number
  rejectedByReason: Record<RejectReason, number>
  duplicates: number
  late: number
  outOfOrder: number
  otherShard: number
  windowResets: number
  streamRestarts: number
  raised: number
  cleared: number
  machines: number
  evictions: number
  modelsRefused: number
  influx: PointWriterStats | undefined
  /** With `--source nats://`: partitions consumed, readings acknowledged and replayed. */
  nats: NatsSourceState | undefined
}

/** The events of a running detector, with their arguments. */
export interface DetectorEvents {
  /** A machine's alert was raised or cleared (also published on `<prefix>/<id>/anomalies`). */
  anomaly: [event: AnomalyEvent]
  /** A payload could not be used (also published on `<prefix>/<id>/rejected` unless turned off). */
  rejected: [message: RejectedMessage]
  /** A new model is scoring (the file changed, or a retraining finished). */
  model: [model: Model]
  /** Connected to the broker and subscribed. */
  connect: []
  /** Lost the broker; reconnecting. */
  offline: []
  /** A machine of a learning profile learned its baseline. */
  baseline: [machineId: string, profile: string, model: Model]
}

/** A running detector. */
export interface DetectorHandle extends EventEmitter<DetectorEvents> {
  /**
   * The detector's model (it changes when the file is replaced); undefined when every profile learns a
   * baseline per machine or names a model of its own.
   */
  readonly model: Model | undefined
  /** The /healthz and /metrics base URL, when the HTTP server runs. */
  readonly httpUrl: string | undefined
  /** The live web view's address (ending in /ui/), when it is served. */
  readonly webUrl: string | undefined
  /** The pure processing pipeline (for tests and diagnostics). */
  readonly pipeline: DetectorPipeline
  stats: () => DetectorStats
  /** Current health, as served on /healthz. */
  health: () => HealthReport
  /** Prometheus text, as served on /metrics. */
  metrics: () => Promise<string>
  /** Retrains now on the recent non-anomalous readings (also what the schedule runs). */
  retrain: () => Promise<Model | undefined>
  /** Stops consuming, flushes InfluxDB (spooling what cannot be written) and closes everything. */
  close: () => Promise<void>
}

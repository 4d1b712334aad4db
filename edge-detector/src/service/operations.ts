import type { Registry } from 'prom-client'
import type { Model } from '@factory-edge/shared/ml'
import { collectedCounter, collectedGauge, collectedHistogram, createMetricsRegistry, type HealthReport } from '@factory-edge/shared/ops'
import type { DetectorPipeline } from '../pipeline/pipeline.js'
import { LATENCY_BUCKETS } from '../pipeline/stats.js'
import type { PointWriter } from '../influx/point-writer.js'
import type { ModelWatcher } from '../model/model-watcher.js'
import type { SystemView } from '../web/fleet-feed.js'
import type { DetectorStats } from './types.js'
import type { NatsSourceState } from '../source/nats-source.js'
import type { BrokerLinkState } from './mqtt-input.js'

/** What the operations view reads; each part may be absent while it is off. */
export interface OperationsSource {
  readonly pipeline: DetectorPipeline
  readonly model: Model | undefined
  readonly connected: boolean
  readonly brokerLink: BrokerLinkState
  readonly closing: boolean
  readonly points: PointWriter | undefined
  readonly watcher: ModelWatcher | undefined
  readonly brokerUrl: string
  readonly clientId: string
  readonly modelPath: string
  /** With `--source nats://`: the partitions consumed and what was acknowledged and replayed. */
  readonly nats: NatsSourceState | undefined
}

/** The detector's health, counters and Prometheus registry, all read from the running parts on demand. */
export class DetectorOperations {
  readonly registry: Registry
  private rateFrom = { at: Date.now(), messages: 0 }
  private readingsPerS = 0

  constructor (private readonly s: OperationsSource) {
    this.registry = detectorRegistry(s)
  }

  stats (): DetectorStats {
    const s = this.s
    const p = s.pipeline.stats
    return {
      connected: s.connected,
      modelVersion: s.model?.version ?? '',
      messagesIn: p.messagesIn,
      scored: p.scored,
      rejected: p.rejected,
      rejectedByReason: { ...p.rejectedByReason },
      duplicates: p.duplicates,
      late: p.late,
      outOfOrder: p.outOfOrder,
      otherShard: p.otherShard,
      windowResets: p.windowResets,
      streamRestarts: p.streamRestarts,
      raised: p.raised,
      cleared: p.cleared,
      machines: s.pipeline.machines.size,
      evictions: p.evictions,
      modelsRefused: s.watcher?.refused ?? 0,
      influx: s.points?.stats(),
      nats: s.nats
    }
  }

  /** The web view's system panel; readings per second over the time since the previous call (at least 1 s). */
  systemView (now = Date.now()): SystemView {
    const s = this.s
    const p = s.pipeline.stats
    const elapsed = now - this.rateFrom.at
    if (elapsed >= 1000) {
      this.readingsPerS = Math.round((p.messagesIn - this.rateFrom.messages) * 1000 / elapsed)
      this.rateFrom = { at: now, messages: p.messagesIn }
    }
    const influx = s.points?.stats()
    return {
      readingsPerS: this.readingsPerS,
      messagesIn: p.messagesIn,
      scored: p.scored,
      rejectedByReason: Object.fromEntries(Object.entries(p.rejectedByReason).filter(([, n]) => n > 0)),
      raised: p.raised,
      cleared: p.cleared,
      machines: s.pipeline.machines.size,
      broker: { connected: s.connected, url: s.brokerUrl },
      influx: influx === undefined ? { state: 'off' } : { state: influx.state, spooled: influx.spooled, dropped: influx.droppedSpoolFull },
      model: { version: s.model?.version ?? 'per machine', threshold: s.model?.threshold ?? 0.5 }
    }
  }

  /** As served on /healthz: ok while connected to the broker with a model loaded. */
  health (): HealthReport {
    const s = this.s
    const influx = s.points?.stats()
    return {
      ok: s.connected && !s.closing,
      // While not connected: the cause of the last failure and when the next attempt is due.
      broker: { url: s.brokerUrl, clientId: s.clientId, ...s.brokerLink },
      model: s.model === undefined
        ? { loaded: false, reason: 'every profile learns per machine or has its own model' }
        : { loaded: true, version: s.model.version, threshold: s.model.threshold, path: s.modelPath, lastError: s.watcher?.lastError },
      influx: influx === undefined ? { state: 'off' } : { state: influx.state, spooled: influx.spooled, dropped: influx.droppedSpoolFull },
      machines: s.pipeline.machines.size,
      ...s.nats !== undefined ? { nats: s.nats } : {}
    }
  }
}

/** The detector's metric families (plus prom-client's process and Node.js metrics), read at scrape time. */
function detectorRegistry (s: OperationsSource): Registry {
  const registry = createMetricsRegistry()
  const p = (): DetectorPipeline['stats'] => s.pipeline.stats
  const counter = (name: string, help: string, read: () => number): void => collectedCounter(registry, name, help, read)
  const gauge = (name: string, help: string, read: () => number): void => collectedGauge(registry, name, help, read)
  counter('edge_detector_messages_total', 'Telemetry messages received for this shard', () => p().messagesIn)
  counter('edge_detector_scored_total', 'Readings scored', () => p().scored)
  collectedCounter(registry, 'edge_detector_rejected_total', 'Messages rejected, by reason',
    () => Object.entries(p().rejectedByReason).map(([reason, n]) => [{ reason }, n] as const), ['reason'])
  counter('edge_detector_duplicates_total', 'Readings dropped as duplicates (same sequence number)', () => p().duplicates)
  counter('edge_detector_late_total', 'Readings too far out of order to score, stored only', () => p().late)
  counter('edge_detector_out_of_order_total', 'Readings scored although older than their machine\'s newest', () => p().outOfOrder)
  counter('edge_detector_other_shard_total', 'Messages skipped because another shard handles the machine', () => p().otherShard)
  counter('edge_detector_learning_readings_total', 'Readings added to machines\' learning data instead of being scored', () => p().learning)
  counter('edge_detector_unscored_total', 'Readings stored but not scored: an optional signal the features need was missing', () => p().unscored)
  counter('edge_detector_unknown_fields_total', 'Payload fields that are not signals of the machine\'s profile (ignored)', () => p().unknownFields)
  counter('edge_detector_missing_optional_total', 'Optional signals left out of payloads', () => p().missingOptional)
  counter('edge_detector_baselines_learned_total', 'Per-machine baselines learned', () => p().baselinesLearned)
  counter('edge_detector_baselines_loaded_total', 'Per-machine baselines loaded from disk', () => p().baselinesLoaded)
  counter('edge_detector_baselines_relearned_total', 'Per-machine baselines replaced by one learnt from recent normal readings', () => p().baselinesRelearned)
  counter('edge_detector_baselines_refused_total', 'Persisted baselines refused as corrupt or stale (the machine learns again)', () => p().baselinesRefused)
  gauge('edge_detector_machines_learning', 'Tracked machines still learning their baseline', () => s.pipeline.learningCount())
  counter('edge_detector_window_resets_total', 'Machine windows emptied after a long gap', () => p().windowResets)
  counter('edge_detector_anomalies_raised_total', 'Anomaly alerts raised', () => p().raised)
  counter('edge_detector_anomalies_cleared_total', 'Anomaly alerts cleared', () => p().cleared)
  collectedHistogram(registry, 'edge_detector_processing_seconds', 'Time to decode, validate, window, featurise and score one message',
    LATENCY_BUCKETS, () => ({ counts: p().latencyBuckets, sum: p().latencySum }))
  gauge('edge_detector_machines', 'Machines tracked', () => s.pipeline.machines.size)
  counter('edge_detector_machines_evicted_total', 'Machines forgotten to stay within --max-machines', () => p().evictions)
  gauge('edge_detector_broker_connected', '1 when connected to the MQTT broker', () => s.connected ? 1 : 0)
  counter('edge_detector_broker_connections_total', 'Connections made to the MQTT broker: 1 plus each reconnection', () => s.brokerLink.connections)
  collectedGauge(registry, 'edge_detector_model_info', "The detector's model in use", () => s.model === undefined ? [] : [[{ version: s.model.version }, 1]], ['version'])
  gauge('edge_detector_model_threshold', "The detector's model's score threshold (NaN without one)", () => s.model?.threshold ?? NaN)
  counter('edge_detector_model_refused_total', 'Model files refused as corrupt or incompatible', () => s.watcher?.refused ?? 0)
  gauge('edge_detector_spool_points', 'InfluxDB points waiting in the on-disk spool', () => s.points?.stats().spooled ?? 0)
  counter('edge_detector_spool_dropped_total', 'InfluxDB points dropped because the spool was full', () => s.points?.stats().droppedSpoolFull ?? 0)
  counter('edge_detector_influx_written_total', 'Points written to InfluxDB', () => s.points?.stats().written ?? 0)
  counter('edge_detector_influx_failures_total', 'Failed InfluxDB write requests', () => s.points?.stats().failures ?? 0)
  gauge('edge_detector_influx_up', '1 when InfluxDB writes succeed, 0 when failing or off', () => s.points?.stats().state === 'ok' ? 1 : 0)
  gauge('edge_detector_nats_partitions', 'NATS partitions this instance consumes now (0 without --source nats://)', () => s.nats?.partitions.length ?? 0)
  counter('edge_detector_nats_acked_total', 'Readings acknowledged to JetStream after their points were journalled', () => s.nats?.acked ?? 0)
  counter('edge_detector_nats_replayed_total', 'Readings replayed with outputs closed to rebuild windows of taken-over partitions (also counted in scored)', () => s.nats?.replayed ?? 0)
  counter('edge_detector_nats_partition_starts_total', 'Partitions started: at start, taken over from a dead instance or handed over by a rebalance', () => s.nats?.takeovers ?? 0)
  return registry
}

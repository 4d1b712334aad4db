import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_TOPIC_PREFIX } from '@factory-edge/shared/contract'

/**
 * Every default of the detector service, once: the configuration spec (flags, environment, `--help`),
 * the classes that fill their options and the generated docs read them from here.
 */
export const DETECTOR_DEFAULTS = {
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  modelPath: 'results/model.json',
  watchModel: true,
  /** A fixed id, so that the broker keeps the persistent session; shards append `-<k>-of-<n>`. */
  clientId: 'factory-edge-detector',
  maxMachines: 10_000,
  gapMs: 60_000,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  publishRejected: true,
  /**
   * The MQTT session: after a failed or lost connection the next attempt waits `reconnectMinMs`,
   * doubling after every failure up to `reconnectMaxMs` (a broker may come up later; a wrong password
   * may be fixed on the broker's side), and back to the minimum once connected. The NATS source waits
   * the same way between connection attempts its servers refuse (`--source nats://`, a wrong password).
   */
  mqtt: { reconnectMinMs: 1000, reconnectMaxMs: 30_000, connectTimeoutMs: 10_000, keepaliveS: 30 },
  httpHost: '127.0.0.1',
  httpPort: 9464,
  statsIntervalMs: 10_000,
  /** The live web view on the HTTP server (see src/web). */
  ui: {
    enabled: true,
    /** Event-stream bytes per second per page, whatever the number of machines. */
    streamBytesPerS: 32_768,
    tickMs: 1000,
    clockMs: 250,
    /**
     * Each machine's history covers historySpanMs of reading time in historySamples samples of score,
     * state and signals, or in fewer, coarser ones when --max-machines machines would take more than
     * historyBytes in all (never fewer than minHistorySamples, never closer than minSampleEveryMs).
     */
    historySpanMs: 240_000,
    historySamples: 120,
    minHistorySamples: 30,
    historyBytes: 8 * 1024 * 1024,
    minSampleEveryMs: 2000,
    silentMs: 15_000,
    sparkSamples: 40,
    alertLog: 200,
    maxClients: 16
  },
  /** Recent non-anomalous feature rows kept for retraining. */
  reservoirSize: 10_000,
  alert: { k: 3, m: 5, hysteresis: 0.02, cooldownMs: 30_000, criticalMargin: 0.1, baselineAlpha: 0.02, baselineSmoothing: 15, baselineMargin: 0.1, baselineWarmup: 0 },
  /** Rule-based sensor-fault detection (see pipeline/sensor-checks.ts). */
  sensorChecks: {
    spikeSteps: 12,
    excursionExcess: 2,
    excursionSteps: 4,
    driftZ: 6,
    driftAttributeZ: 3,
    driftQuietZ: 2,
    driftWarmup: 200,
    stuckChance: 1e-9,
    stuckMinReadings: 8,
    // One or two missing readings are a lost message or a reordering on the link, not a silent sensor.
    dropoutMissing: 3,
    clearAfter: 30
  },
  retrain: { minRows: 1000, keep: 5 },
  /**
   * A machine's self-learned baseline (see src/baseline and docs/self-learning.md): a smaller forest than
   * a trained model's, within issue 14's targets for learning time and file size per machine, and the
   * threshold rule (a high quantile of the machine's own learning scores plus a margin). Chosen by
   * measurement (docs/self-learning.md).
   */
  baseline: { trees: 32, sampleSize: 256, quantile: 0.995, thresholdMargin: 0.02, trim: 0, resetPollMs: 2000 },
  /**
   * Telemetry from a NATS JetStream stream (`--source nats://...`, docs/scaling.md): the stream, its
   * partitions (as many as the servers' `partition(n, ...)` mapping makes), R3 on a three-node cluster.
   * Partition leases live in a KV bucket whose entries expire `leaseTtlMs` after their last renewal (every
   * third of it), so a dead instance's partitions are free again within one TTL and taken at the next
   * renewal round. A new owner replays `replayMs` of each partition before its first unscored reading to
   * rebuild the machines' windows and alert state without publishing or storing anything twice.
   */
  nats: {
    stream: 'FACTORY_TELEMETRY',
    partitions: 4,
    replicas: 3,
    leaseBucket: 'factory_edge_leases',
    leaseTtlMs: 6000,
    replayMs: 60_000,
    ackWaitMs: 30_000,
    maxAckPending: 4096,
    batch: 512,
    /** A pull request's expiry: nats.js re-checks a consumer that stopped answering (a failover) after one expiry. */
    pullExpiresMs: 2000,
    /** A takeover's replay that receives nothing for this long ends, keeping the windows replayed so far. */
    replayIdleMs: 5000,
    reconnectWaitMs: 1000
  },
  influx: {
    org: 'factory',
    bucket: 'factory',
    batchSize: 5000,
    flushIntervalMs: 1000,
    gzipThreshold: 1000,
    timeoutMs: 5000,
    minRetryDelayMs: 1000,
    maxRetryDelayMs: 30_000,
    spoolDir: 'data/spool',
    spoolMaxPoints: 1_000_000
  }
} as const

import { ConfigError, loggingOptions, mqttClientOptions, type ConfigOf, type ConfigSpec } from '@factory-edge/shared/runtime'
import { DETECTOR_DEFAULTS as D } from './defaults.js'
import { parseShard } from './pipeline/shard.js'
import type { DetectorOptions } from './service/options.js'
import { natsServers, ownedPartitions, type NatsSourceOptions } from './source/nats-options.js'

/** Every setting of the `edge-detector` service: flags, environment variables, defaults, limits. */
export const detectorConfigSpec = {
  ...mqttClientOptions,
  clientId: { flag: 'client-id', env: 'MQTT_CLIENT_ID', type: 'string', description: `MQTT client id; keep it fixed so the broker keeps the persistent session (default ${D.clientId}, or ${D.clientId}-<k>-of-<n> with --shard)` },
  modelPath: { flag: 'model', env: 'MODEL_PATH', type: 'string', default: D.modelPath, description: 'Model file (written by `edge-detector train`); watched and swapped in when it changes' },
  profilesPath: { flag: 'profiles', env: 'PROFILES_PATH', type: 'string', description: 'Sensor profiles file (YAML or JSON, see docs/profiles.md); without it every machine is an AI4I machine (the built-in ai4i profile)' },
  watchModel: { flag: 'watch-model', env: 'WATCH_MODEL', type: 'boolean', default: D.watchModel, description: 'Reload the model file when it changes (a corrupt file is refused, the running model stays)' },
  source: { flag: 'source', env: 'DETECTOR_SOURCE', type: 'string', default: 'mqtt', pattern: /^(mqtt|nats:\/\/\S+)$/, hint: 'mqtt, or nats://host:4222[,host2:4222,...]', description: 'Where telemetry comes from: mqtt (a subscription on --broker-url), or the partitioned JetStream stream of a NATS cluster (docs/scaling.md); events and state go to --broker-url either way' },
  natsUser: { flag: 'nats-user', env: 'NATS_USER', type: 'string', description: 'With --source nats://: NATS user name' },
  natsPassword: { flag: 'nats-password', env: 'NATS_PASSWORD', type: 'string', secret: true, description: 'With --source nats://: NATS password' },
  natsStream: { flag: 'nats-stream', env: 'NATS_STREAM', type: 'string', default: D.nats.stream, pattern: /^[A-Za-z0-9_-]+$/, hint: 'letters, digits, _ and -', description: 'With --source nats://: the telemetry stream (created if missing)' },
  natsPartitions: { flag: 'nats-partitions', env: 'NATS_PARTITIONS', type: 'integer', min: 1, max: 1024, default: D.nats.partitions, description: 'With --source nats://: partitions of the servers\' subject mapping (its partition(n, ...)); the same on every instance' },
  natsPartitionsOwned: { flag: 'nats-partitions-owned', env: 'NATS_PARTITIONS_OWNED', type: 'string', pattern: /^\d+(,\d+)*$/, hint: 'a list such as 0,2', description: 'With --source nats://: consume these partitions always, without leases (default: lease partitions in a KV bucket, shared with the other instances)' },
  natsReplicas: { flag: 'nats-replicas', env: 'NATS_REPLICAS', type: 'integer', min: 1, max: 5, default: D.nats.replicas, description: 'With --source nats://: copies of the stream and the lease bucket when this detector creates them (3 on a three-node cluster, 1 on a single server)' },
  natsLeaseTtlMs: { flag: 'nats-lease-ttl-ms', env: 'NATS_LEASE_TTL_MS', type: 'integer', min: 1500, max: 600_000, default: D.nats.leaseTtlMs, description: 'With --source nats://: a partition lease not renewed for this long expires and is taken over (renewed every third of it)' },
  natsReplayMs: { flag: 'nats-replay-ms', env: 'NATS_REPLAY_MS', type: 'integer', min: 0, max: 86_400_000, default: D.nats.replayMs, description: 'With --source nats://: span of readings before a taken-over partition\'s first unscored reading replayed to rebuild windows and alert state (nothing replayed is published or stored again)' },
  natsAckWaitMs: { flag: 'nats-ack-wait-ms', env: 'NATS_ACK_WAIT_MS', type: 'integer', min: 1000, max: 3_600_000, default: D.nats.ackWaitMs, description: 'With --source nats://: a reading not acknowledged this long after delivery is delivered again' },
  shard: { flag: 'shard', env: 'DETECTOR_SHARD', type: 'string', pattern: /^\d+\/\d+$/, hint: 'k/n with 1 <= k <= n, e.g. 2/3', description: 'Handle only the machines whose id hashes to shard k of n (run n detectors with 1/n .. n/n)' },
  alertK: { flag: 'alert-k', env: 'ALERT_K', type: 'integer', min: 1, max: 32, default: D.alert.k, description: 'Raise an alert after k of the last m scores are over the threshold' },
  alertM: { flag: 'alert-m', env: 'ALERT_M', type: 'integer', min: 1, max: 32, default: D.alert.m, description: 'Number of recent scores considered (m)' },
  alertHysteresis: { flag: 'alert-hysteresis', env: 'ALERT_HYSTERESIS', type: 'number', min: 0, max: 0.5, default: D.alert.hysteresis, description: 'Clear only when fewer than k of the last m scores exceed threshold minus this' },
  alertCooldownMs: { flag: 'alert-cooldown-ms', env: 'ALERT_COOLDOWN_MS', type: 'integer', min: 0, default: D.alert.cooldownMs, description: 'Minimum time between a clear and the next raise of the same machine (reading time, ms)' },
  criticalMargin: { flag: 'critical-margin', env: 'ALERT_CRITICAL_MARGIN', type: 'number', min: 0, max: 1, default: D.alert.criticalMargin, description: 'A raise is critical when its score is at least threshold plus this, otherwise a warning' },
  alertBaselineAlpha: { flag: 'alert-baseline-alpha', env: 'ALERT_BASELINE_ALPHA', type: 'number', min: 0, max: 0.5, default: D.alert.baselineAlpha, description: 'Per-machine calibration (on by default; 0 turns it off for the k-of-m rule on raw scores): weight of a new score in the machine\'s own baseline, which starts at threshold - margin; alerts compare the machine\'s smoothed score with it (see docs/quality.md)' },
  alertBaselineSmoothing: { flag: 'alert-baseline-smoothing', env: 'ALERT_BASELINE_SMOOTHING', type: 'number', min: 1, max: 1000, default: D.alert.baselineSmoothing, description: 'With calibration: scores averaged (exponentially) before the comparison' },
  alertBaselineMargin: { flag: 'alert-baseline-margin', env: 'ALERT_BASELINE_MARGIN', type: 'number', min: 0.001, max: 1, default: D.alert.baselineMargin, description: 'With calibration: how far above its own baseline a machine\'s smoothed score counts as over (a profile\'s alert.margin replaces it for its machines)' },
  alertBaselineWarmup: { flag: 'alert-baseline-warmup', env: 'ALERT_BASELINE_WARMUP', type: 'integer', min: 0, max: 1_000_000, default: D.alert.baselineWarmup, description: 'With calibration: readings a machine is only learned from before it may raise' },
  maxMachines: { flag: 'max-machines', env: 'MAX_MACHINES', type: 'integer', min: 1, max: 10_000_000, default: D.maxMachines, description: 'Machines tracked at once; the least recently seen is evicted (and logged) beyond this' },
  gapMs: { flag: 'gap-ms', env: 'WINDOW_GAP_MS', type: 'integer', min: 1, default: D.gapMs, description: 'A gap longer than this between two readings of a machine empties its window' },
  maxPayloadBytes: { flag: 'max-payload-bytes', env: 'MAX_PAYLOAD_BYTES', type: 'integer', min: 256, max: 1_048_576, default: D.maxPayloadBytes, description: 'Larger telemetry payloads are rejected (too_large)' },
  publishRejected: { flag: 'publish-rejected', env: 'PUBLISH_REJECTED', type: 'boolean', default: D.publishRejected, description: 'Republish rejected payloads, with the reason, on <prefix>/<id>/rejected (QoS 0)' },
  influxUrl: { flag: 'influx-url', env: 'INFLUX_URL', type: 'string', pattern: /^https?:\/\/\S+$/, hint: 'an http(s) URL such as http://127.0.0.1:8086', description: 'InfluxDB v2 URL; without it no points are written' },
  influxToken: { flag: 'influx-token', env: 'INFLUX_TOKEN', type: 'string', secret: true, description: 'InfluxDB API token' },
  influxOrg: { flag: 'influx-org', env: 'INFLUX_ORG', type: 'string', default: D.influx.org, description: 'InfluxDB organisation' },
  influxBucket: { flag: 'influx-bucket', env: 'INFLUX_BUCKET', type: 'string', default: D.influx.bucket, description: 'InfluxDB bucket' },
  influxBatchSize: { flag: 'influx-batch-size', env: 'INFLUX_BATCH_SIZE', type: 'integer', min: 1, max: 100_000, default: D.influx.batchSize, description: 'Lines per InfluxDB write request' },
  influxFlushMs: { flag: 'influx-flush-ms', env: 'INFLUX_FLUSH_MS', type: 'integer', min: 10, default: D.influx.flushIntervalMs, description: 'Longest time a point waits before its batch is sent (ms)' },
  influxGzipBytes: { flag: 'influx-gzip-bytes', env: 'INFLUX_GZIP_BYTES', type: 'integer', min: 0, default: D.influx.gzipThreshold, description: 'Write bodies larger than this are gzipped' },
  influxTimeoutMs: { flag: 'influx-timeout-ms', env: 'INFLUX_TIMEOUT_MS', type: 'integer', min: 100, default: D.influx.timeoutMs, description: 'Timeout of one InfluxDB write request (ms)' },
  influxMaxRetryDelayMs: { flag: 'influx-max-retry-delay-ms', env: 'INFLUX_MAX_RETRY_DELAY_MS', type: 'integer', min: 100, default: D.influx.maxRetryDelayMs, description: `Longest pause between retries while InfluxDB is down (backoff doubles from ${D.influx.minRetryDelayMs} ms up to this)` },
  spoolDir: { flag: 'spool-dir', env: 'SPOOL_DIR', type: 'string', default: D.influx.spoolDir, description: 'On-disk spool for points InfluxDB could not take; replayed in order when it is back' },
  spoolMaxPoints: { flag: 'spool-max-points', env: 'SPOOL_MAX_POINTS', type: 'integer', min: 1, default: D.influx.spoolMaxPoints, description: 'Most points spooled; beyond it the oldest are dropped and counted' },
  httpHost: { flag: 'http-host', env: 'HTTP_HOST', type: 'string', default: D.httpHost, description: 'Address of the /healthz and /metrics server' },
  httpPort: { flag: 'http-port', env: 'HTTP_PORT', type: 'integer', min: 0, max: 65535, default: D.httpPort, description: 'Port of the /healthz and /metrics server (0: any free port)' },
  http: { flag: 'http', env: 'HTTP_ENABLED', type: 'boolean', default: true, description: 'Serve /healthz and /metrics' },
  ui: { flag: 'ui', env: 'UI', type: 'boolean', default: D.ui.enabled, description: 'Serve the live web view at /ui/ on the HTTP server (machines, alerts, charts)' },
  uiToken: { flag: 'ui-token', env: 'UI_TOKEN', type: 'string', secret: true, description: 'Token the web view asks for (bearer, basic-auth password or ?token= once); required when --http-host is not loopback, generated and logged if unset' },
  uiStreamBytesPerS: { flag: 'ui-stream-bytes-per-s', env: 'UI_STREAM_BYTES_PER_S', type: 'integer', min: 4096, max: 10_000_000, default: D.ui.streamBytesPerS, description: 'Bytes per second of the web view\'s event stream per open page, whatever the number of machines (with many machines each is updated less often)' },
  retrainCron: { flag: 'retrain-cron', env: 'RETRAIN_CRON', type: 'string', description: 'Retrain on recent normal readings on this cron schedule, e.g. "0 3 * * *" (off by default); machines with their own baseline relearn it from their next normal readings' },
  retrainMinRows: { flag: 'retrain-min-rows', env: 'RETRAIN_MIN_ROWS', type: 'integer', min: 10, default: D.retrain.minRows, description: 'Fewest recent normal readings worth retraining on' },
  retrainReservoir: { flag: 'retrain-reservoir', env: 'RETRAIN_RESERVOIR', type: 'integer', min: 0, max: 10_000_000, default: D.reservoirSize, description: 'Recent normal readings (feature rows) kept for retraining' },
  modelsDir: { flag: 'models-dir', env: 'MODELS_DIR', type: 'string', description: 'Where retrained versions go as <version>.json and self-learned baselines as baselines/<profile>/<machineId>.json (default: models/ beside the model file)' },
  keepModels: { flag: 'keep-models', env: 'KEEP_MODELS', type: 'integer', min: 1, default: D.retrain.keep, description: 'Retrained model versions kept' },
  ...loggingOptions
} as const satisfies ConfigSpec

export type DetectorConfig = ConfigOf<typeof detectorConfigSpec>

/** Turns parsed settings into detector options; throws ConfigError for combinations that cannot work. */
export function detectorOptionsFromConfig (c: DetectorConfig): Omit<DetectorOptions, 'logger'> {
  if (c.alertK > c.alertM) throw new ConfigError(`--alert-k (${c.alertK}) must not exceed --alert-m (${c.alertM})`)
  let shard
  if (c.shard !== undefined) {
    try {
      shard = parseShard(c.shard)
    } catch (err) {
      throw new ConfigError(`invalid value ${JSON.stringify(c.shard)} for --shard (DETECTOR_SHARD): ${(err as Error).message}`)
    }
  }
  return {
    nats: natsSourceFromConfig(c, shard !== undefined && shard.count > 1),
    brokerUrl: c.brokerUrl,
    username: c.username,
    password: c.password,
    caFile: c.caFile,
    topicPrefix: c.topicPrefix,
    clientId: c.clientId,
    modelPath: c.modelPath,
    profilesPath: c.profilesPath,
    modelsDir: c.modelsDir,
    watchModel: c.watchModel,
    shard,
    alert: {
      k: c.alertK,
      m: c.alertM,
      hysteresis: c.alertHysteresis,
      cooldownMs: c.alertCooldownMs,
      criticalMargin: c.criticalMargin,
      baselineAlpha: c.alertBaselineAlpha,
      baselineSmoothing: c.alertBaselineSmoothing,
      baselineMargin: c.alertBaselineMargin,
      baselineWarmup: c.alertBaselineWarmup
    },
    maxMachines: c.maxMachines,
    gapMs: c.gapMs,
    maxPayloadBytes: c.maxPayloadBytes,
    publishRejected: c.publishRejected,
    influx: c.influxUrl === undefined
      ? undefined
      : {
          url: c.influxUrl,
          token: c.influxToken,
          org: c.influxOrg,
          bucket: c.influxBucket,
          batchSize: c.influxBatchSize,
          flushIntervalMs: c.influxFlushMs,
          gzipThreshold: c.influxGzipBytes,
          timeoutMs: c.influxTimeoutMs,
          maxRetryDelayMs: c.influxMaxRetryDelayMs,
          spoolDir: c.spoolDir,
          spoolMaxPoints: c.spoolMaxPoints
        },
    httpHost: c.httpHost,
    httpPort: c.http ? c.httpPort : null,
    ui: { enabled: c.ui, token: c.uiToken, streamBytesPerS: c.uiStreamBytesPerS },
    retrain: c.retrainCron === undefined
      ? undefined
      : { cron: c.retrainCron, minRows: c.retrainMinRows, reservoirSize: c.retrainReservoir, modelsDir: c.modelsDir, keep: c.keepModels },
    reservoirSize: c.retrainReservoir
  }
}

/** The NATS source of `--source nats://...`, or undefined for the MQTT subscription. */
function natsSourceFromConfig (c: DetectorConfig, sharded: boolean): NatsSourceOptions | undefined {
  if (c.source === 'mqtt') return undefined
  // The partitions already split the machines between instances; a shard would drop readings no one else scores.
  if (sharded) throw new ConfigError('--shard is for --source mqtt; with --source nats:// the partitions split the machines (--nats-partitions-owned or leases)')
  return {
    servers: natsServers(c.source),
    user: c.natsUser,
    password: c.natsPassword,
    stream: c.natsStream,
    partitions: c.natsPartitions,
    owned: c.natsPartitionsOwned !== undefined ? ownedPartitions(c.natsPartitionsOwned, c.natsPartitions) : undefined,
    replicas: c.natsReplicas,
    leaseTtlMs: c.natsLeaseTtlMs,
    replayMs: c.natsReplayMs,
    ackWaitMs: c.natsAckWaitMs
  }
}

import type { Logger } from '@factory-edge/shared/runtime'
import type { ProfileSet } from '@factory-edge/shared/profiles'
import type { AlertPolicy } from '../pipeline/alert-policy.js'
import type { Shard } from '../pipeline/shard.js'
import type { InfluxOptions } from '../influx/options.js'
import type { RetrainOptions } from '../model/retrainer.js'
import type { NatsSourceOptions } from '../source/nats-options.js'

/** How to run a detector; every setting left out takes its value from DETECTOR_DEFAULTS. */
export interface DetectorOptions {
  /** MQTT broker URL, e.g. mqtt://127.0.0.1:1883: telemetry (unless `nats` is set), events and state. */
  brokerUrl: string
  /** Telemetry from the partitioned JetStream stream of a NATS cluster instead of an MQTT subscription. */
  nats?: NatsSourceOptions
  username?: string
  password?: string
  /** CA certificate (PEM file) for mqtts:// and wss://. */
  caFile?: string
  topicPrefix?: string
  /**
   * Model file of the profiles scored by the detector's model (the built-in ai4i profile); watched for
   * changes unless `watchModel` is false. Not read when every profile learns or names its own model.
   */
  modelPath: string
  /** Sensor profiles file; undefined: the built-in profiles. */
  profilesPath?: string
  /** The profiles, already loaded from `profilesPath` (the command line validates them before starting). */
  profiles?: ProfileSet
  /**
   * The models directory: retrained versions, and the baselines machines of learning profiles learn
   * (`baselines/<profile>/<machineId>.json`); default `models/` beside the model file.
   */
  modelsDir?: string
  watchModel?: boolean
  /**
   * MQTT client id. Fixed (not random) so that the broker keeps the persistent session, and with it
   * the readings published while the detector restarts. Shards get their own by default.
   */
  clientId?: string
  logger?: Logger
  alert?: Partial<AlertPolicy>
  /** Machines tracked at once (least recently seen evicted). */
  maxMachines?: number
  /** Gap between two readings of a machine that empties its window, in ms. */
  gapMs?: number
  maxPayloadBytes?: number
  /** `k/n` or a Shard: handle only the machines whose id hashes to shard k of n. */
  shard?: Shard | string
  /** InfluxDB output; undefined means no points are written. */
  influx?: InfluxOptions
  /** Port of /healthz and /metrics; 0 picks a free port; null (the default here) turns the server off. */
  httpPort?: number | null
  httpHost?: string
  /**
   * How the embedding command names its HTTP port setting in the error of a port that cannot be used;
   * default the detector's own flag (`--http-port (env HTTP_PORT)`).
   */
  httpPortSetting?: string
  /** The live web view on the HTTP server (on by default while the server runs). */
  ui?: WebViewSettings
  /** Scheduled retraining; off when undefined. */
  retrain?: RetrainOptions
  /** Interval of the detector's own stats point in InfluxDB, in ms. */
  statsIntervalMs?: number
  /** Republish rejected payloads on `<prefix>/<id>/rejected`. */
  publishRejected?: boolean
  /** Recent non-anomalous feature rows kept for retraining. */
  reservoirSize?: number
}

/** Settings of the live web view. */
export interface WebViewSettings {
  enabled?: boolean
  /** Asked for when set; generated when the server is reachable beyond loopback and none is set. */
  token?: string
  streamBytesPerS?: number
}

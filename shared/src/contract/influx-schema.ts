/**
 * InfluxDB schema written by the detector and read by the Grafana dashboard. Both import these names,
 * and a test checks the dashboard's queries against them.
 */
export const MEASUREMENTS = {
  /** Raw readings. Tags: machine, profile, model_version (absent while learning). Fields: the profile's raw signals (SENSOR_FIELDS for ai4i). */
  telemetry: 'telemetry',
  /** Per-reading features and score. Tags: machine, profile, model_version. Fields: score, threshold, anomalous, and one field per feature. */
  score: 'anomaly_score',
  /** State changes. Tags: machine, profile, model_version, state, severity, kind. Fields: score, threshold, top_feature. */
  event: 'anomaly_event',
  /** Detector counters, every few seconds. Tags: detector. Fields: messages_in, rejected, anomalies, spool_points, machines, machines_learning. */
  detector: 'detector_stats'
} as const

export const TAGS = { machine: 'machine', profile: 'profile', modelVersion: 'model_version', state: 'state', severity: 'severity', kind: 'kind', detector: 'detector' } as const

export const SCORE_FIELDS = ['score', 'threshold', 'anomalous'] as const
/** `fault` ("spike rpm", "dropout") only on sensor-fault events. */
export const EVENT_FIELDS = ['score', 'threshold', 'top_feature', 'fault'] as const
export const DETECTOR_FIELDS = ['messages_in', 'rejected', 'anomalies', 'spool_points', 'machines', 'machines_learning'] as const

import { SIGNAL_NAME_PATTERN } from '@factory-edge/shared/profiles'
import { loggingOptions, type ConfigSpec } from '@factory-edge/shared/runtime'
import { DETECTOR_DEFAULTS } from '../defaults.js'
import { AI4I_SHA256, AI4I_URL } from '../training/download.js'
import { DEFAULT_CONTAMINATION, DEFAULT_SEED, DEFAULT_TREES } from '../training/train.js'

// The settings of the sub-commands, apart from their code so that docs/configuration.md can be generated
// from them without loading training. The service's own settings are in ../config.ts.

// The simulated machines live in the sensor simulator, which the detector does not depend on: their readings come as a file.
export const SIMULATED_INSTEAD = 'write simulated readings with `sensor-simulator generate --readings ROWS --out FILE`, then train on them with --csv FILE'

/** Settings of `edge-detector train`. */
export const trainOptions = {
  csv: { flag: 'csv', env: 'TRAIN_CSV', type: 'string', description: 'Training data: AI4I 2020 CSV (UCI or Kaggle) or a CSV/NDJSON telemetry export' },
  download: { flag: 'download', type: 'boolean', default: false, description: 'Train on AI4I 2020 from the UCI repository: downloaded once (through HTTPS_PROXY/HTTP_PROXY unless NO_PROXY names the host), verified, cached in --data-dir' },
  downloadUrl: { flag: 'download-url', env: 'AI4I_URL', type: 'string', default: AI4I_URL, description: 'Where --download fetches the archive (zip holding ai4i2020.csv, or the CSV itself)' },
  sha256: { flag: 'sha256', env: 'AI4I_SHA256', type: 'string', default: AI4I_SHA256, pattern: /^[0-9a-fA-F]{64}$/, hint: '64 hex digits', description: 'Expected SHA-256 of the downloaded ai4i2020.csv' },
  dataDir: { flag: 'data-dir', env: 'DATA_DIR', type: 'string', default: 'data', description: 'Cache directory of downloaded data' },
  synthetic: { flag: 'synthetic', type: 'string', description: `Removed: ${SIMULATED_INSTEAD}` },
  features: { flag: 'features', env: 'TRAIN_FEATURES', type: 'string', default: 'default', description: 'Feature set: default, original, raw, physical, or a list such as tempDelta,power,rpm.z@30' },
  contamination: { flag: 'contamination', env: 'TRAIN_CONTAMINATION', type: 'number', min: 0.0001, max: 0.5, default: DEFAULT_CONTAMINATION, description: 'Expected share of anomalies; sets the stored threshold' },
  trees: { flag: 'trees', env: 'TRAIN_TREES', type: 'integer', min: 1, max: 10000, default: DEFAULT_TREES, description: 'Number of trees' },
  seed: { flag: 'seed', env: 'TRAIN_SEED', type: 'integer', default: DEFAULT_SEED, description: 'Random seed: same data, options and seed give the same model' },
  out: { flag: 'out', env: 'MODEL_PATH', type: 'string', default: DETECTOR_DEFAULTS.modelPath, description: 'Model file to write; report.json and report.html go beside it' },
  skipBadRows: { flag: 'skip-bad-rows', type: 'boolean', default: false, description: 'Skip, count and report rows that cannot be used instead of stopping at the first' },
  ...loggingOptions
} as const satisfies ConfigSpec

/**
 * How `score` and `evaluate --windows` read a readings file and score it: by the detector's model, or by
 * sensor profiles (any time-series CSV), as the service does.
 */
const readingsFileOptions = {
  profiles: { flag: 'profiles', env: 'PROFILES_PATH', type: 'string', description: 'Sensor profiles file (docs/profiles.md): each machine is validated, learns or is scored by its profile, as in the service' },
  profile: { flag: 'profile', type: 'string', description: 'Score every row with this profile of --profiles, whatever its machines glob says' },
  timestampColumn: { flag: 'timestamp-column', type: 'string', description: 'With --profiles: header of the timestamp column (default ts, time or timestamp); ISO 8601, YYYY-MM-DD HH:MM:SS (UTC), epoch s or ms' },
  columns: { flag: 'columns', type: 'string', description: 'With --profiles: signal columns to read, comma-separated, `header=signal` to rename (default every numeric column)' },
  machineColumn: { flag: 'machine-column', type: 'string', description: 'With --profiles: header of the machine-id column (default machineId or machine, if present)' },
  machine: { flag: 'machine', type: 'string', description: 'Machine id of the rows of a file without a machine column (default: ai4i, or machine-1 with --profiles)' }
} as const satisfies ConfigSpec

/** Settings of `edge-detector evaluate`. */
export const evaluateOptions = {
  model: { flag: 'model', env: 'MODEL_PATH', type: 'string', default: DETECTOR_DEFAULTS.modelPath, description: 'Model file to evaluate (with --profiles, read only when a profile is scored by it)' },
  csv: { flag: 'csv', type: 'string', description: 'Labelled data: AI4I 2020 CSV (UCI or Kaggle, label "Machine failure" or "Target"); with --windows, readings of any telemetry export, or with --profiles any time-series CSV' },
  windows: { flag: 'windows', type: 'string', description: 'Labels as anomaly windows instead of per row: a CSV (machine,start,end; ISO 8601 or epoch ms) or JSON array; reports windows detected, detection delay and false alarms per machine-day, and ROC-AUC and average precision of the scored rows (rows inside a window are the positives; rows learned on are left out)' },
  graceS: { flag: 'grace-s', type: 'number', min: 0, max: 86400, default: 60, description: 'With --windows: a raise this many seconds after a window still counts for it' },
  ...readingsFileOptions,
  json: { flag: 'json', type: 'boolean', default: false, description: 'Print one JSON object instead of text' },
  skipBadRows: { flag: 'skip-bad-rows', type: 'boolean', default: false, description: 'Skip, count and report rows that cannot be used' }
} as const satisfies ConfigSpec

/** Settings of `edge-detector score`. */
export const scoreOptions = {
  csv: { flag: 'csv', type: 'string', description: 'Readings to score, in time order: with --profiles any time-series CSV (a timestamp column, signals by header); without, a CSV or NDJSON telemetry export or an AI4I 2020 CSV' },
  model: { flag: 'model', env: 'MODEL_PATH', type: 'string', default: DETECTOR_DEFAULTS.modelPath, description: 'Model file to score with (read only when a profile is scored by it)' },
  ...readingsFileOptions,
  out: { flag: 'out', type: 'string', description: 'Scored CSV to write: one row per input row (line, ts, machineId, state, score, threshold, alert, kind, reason); state is learning, normal, anomalous or sensor_fault' },
  skipBadRows: { flag: 'skip-bad-rows', type: 'boolean', default: false, description: 'Write a row that cannot be used as a rejected row instead of stopping at it' },
  ...loggingOptions
} as const satisfies ConfigSpec

/** Settings of `edge-detector baseline`: the same models directory as the service's. */
export const baselineOptions = {
  modelsDir: { flag: 'models-dir', env: 'MODELS_DIR', type: 'string', description: 'Models directory of the detector; baselines are in its baselines/<profile>/<machineId>.json (default: models/ beside --model)' },
  model: { flag: 'model', env: 'MODEL_PATH', type: 'string', default: DETECTOR_DEFAULTS.modelPath, description: 'The detector\'s model file, whose directory holds models/ when --models-dir is not given' },
  profile: { flag: 'profile', type: 'string', pattern: SIGNAL_NAME_PATTERN, hint: 'a profile name', description: 'reset, show: only the baseline under this profile (default: every profile\'s)' },
  json: { flag: 'json', type: 'boolean', default: false, description: 'Print JSON (list: one object per line) instead of text' }
} as const satisfies ConfigSpec

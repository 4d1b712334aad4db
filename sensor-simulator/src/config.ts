import { loggingOptions, mqttClientOptions, type ConfigOf, type ConfigSpec } from '@factory-edge/shared/runtime'
import { SIMULATOR_DEFAULTS as D } from './defaults.js'
import { MACHINE_KINDS } from './kind.js'

/** Settings of both publishing sub-commands: the connection (beyond the shared MQTT client settings), progress and logging. */
const publishingOptions = {
  ...mqttClientOptions,
  certFile: { flag: 'cert-file', env: 'MQTT_CERT_FILE', type: 'string', description: 'Client certificate (PEM) for mutual TLS' },
  keyFile: { flag: 'key-file', env: 'MQTT_KEY_FILE', type: 'string', description: 'Private key (PEM) of the client certificate' },
  insecure: { flag: 'insecure', env: 'MQTT_INSECURE', type: 'boolean', default: D.insecure, description: 'Accept a broker certificate that does not verify (testing only)' },
  qos: { flag: 'qos', env: 'SIM_QOS', type: 'enum', choices: ['0', '1'], default: D.qos, description: 'QoS of telemetry: 1 is at least once, nothing lost while the detector restarts; 0 is at most once, cheaper (no PUBACK, batched writes) but readings published while a subscriber is away are lost. Status and ground truth always use 1' },
  clientId: { flag: 'client-id', env: 'SIM_CLIENT_ID', type: 'string', pattern: /^[A-Za-z0-9_.:-]{1,200}$/, hint: 'letters, digits and _ . : -', description: `MQTT client id (prefix of per-machine ids); default ${D.clientIdPrefix}-<random>` },
  queueLimit: { flag: 'queue-limit', env: 'SIM_QUEUE_LIMIT', type: 'integer', min: 0, max: 10_000_000, default: D.queueLimit, description: 'Messages kept per connection while the broker is unreachable or slower than the readings; the oldest are dropped (and counted) beyond it' },
  statsInterval: { flag: 'stats-interval', env: 'SIM_STATS_INTERVAL', type: 'number', min: 0, default: D.statsIntervalS, description: 'Seconds between progress log lines (0 = off); replay on a terminal draws a progress bar instead' },
  ...loggingOptions
} as const satisfies ConfigSpec

/** `sensor-simulator [run]`: simulated machines. */
export const simulatorConfigSpec = {
  machines: { flag: 'machines', env: 'SIM_MACHINES', type: 'integer', min: 1, max: 100_000, default: D.run.machines, description: 'Number of machines, ids machine-1 … machine-N (pump-1 … pump-N with --kind pump)' },
  kind: { flag: 'kind', env: 'SIM_KIND', type: 'enum', choices: MACHINE_KINDS, default: D.run.kind, description: 'Kind of the machines: ai4i (AI4I 2020 milling machines, ids machine-N) or pump (centrifugal pumps, ids pump-N)' },
  kinds: { flag: 'kinds', env: 'SIM_KINDS', type: 'list', description: 'A mixed fleet instead of --machines and --kind, e.g. ai4i:5,pump:5 (ids machine-1… and pump-1…)' },
  machineIds: { flag: 'machine-ids', env: 'SIM_MACHINE_IDS', type: 'list', description: 'Machine ids instead of a count, e.g. press-1,lathe-2' },
  rate: { flag: 'rate', env: 'SIM_RATE', type: 'number', min: 0.001, max: 1000, default: D.run.rateHz, description: 'Readings per second per machine' },
  seed: { flag: 'seed', env: 'SIM_SEED', type: 'integer', min: 0, max: 4294967295, description: 'Random seed; the same seed and --start-ts give the same bytes. Default random (logged)' },
  startTs: { flag: 'start-ts', env: 'SIM_START_TS', type: 'integer', min: 0, description: 'Timestamp (ms) of the first reading; default now' },
  scenario: { flag: 'scenario', env: 'SIM_SCENARIO', type: 'list', description: 'Injections mode:machine@time[+duration], e.g. overheat:machine-3@30s or cavitation:pump-2@5m (repeat or comma-separate)' },
  scenarioFile: { flag: 'scenario-file', env: 'SIM_SCENARIO_FILE', type: 'string', description: 'File of scenarios, one per line, # comments' },
  failureRate: { flag: 'failure-rate', env: 'SIM_FAILURE_RATE', type: 'number', min: 0, default: D.run.failureRate, description: 'Random machine failures per machine-hour (0 = off)' },
  sensorFaultRate: { flag: 'sensor-fault-rate', env: 'SIM_SENSOR_FAULT_RATE', type: 'number', min: 0, default: D.run.sensorFaultRate, description: 'Random sensor faults per machine-hour (0 = off)' },
  connection: { flag: 'connection', env: 'SIM_CONNECTION', type: 'enum', choices: ['auto', 'per-machine', 'shared'], default: D.run.connection, description: `One MQTT connection (and last will) per machine, or one for the fleet; auto = per-machine up to ${D.run.autoPerMachineLimit} machines` },
  duration: { flag: 'duration', env: 'SIM_DURATION', type: 'number', min: 0, default: D.run.durationS, description: 'Stop after this many seconds (0 = run until stopped)' },
  ...publishingOptions
} as const satisfies ConfigSpec
export type SimulatorConfig = ConfigOf<typeof simulatorConfigSpec>

/** `sensor-simulator replay`: a recorded file through MQTT. */
export const replayConfigSpec = {
  csv: { flag: 'csv', env: 'REPLAY_FILE', type: 'string', description: 'File to replay: AI4I 2020 CSV, recorded telemetry as CSV or NDJSON, or any time-series CSV with a timestamp column (alias --file)' },
  file: { flag: 'file', type: 'string', description: 'Same as --csv' },
  speed: { flag: 'speed', env: 'REPLAY_SPEED', type: 'number', min: 0, default: D.replay.speed, description: 'Times real time; 0 = as fast as possible' },
  machine: { flag: 'machine', env: 'REPLAY_MACHINE', type: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, hint: 'a machine id', description: `Files without a machine column: the machine id of the rows (AI4I: default ${D.replay.machine}; other CSV: default the file name); files with one: replay only this machine` },
  timestampColumn: { flag: 'timestamp-column', env: 'REPLAY_TIMESTAMP_COLUMN', type: 'string', description: 'Time-series CSV: the timestamp column (ISO 8601, YYYY-MM-DD HH:MM:SS as UTC, epoch seconds or milliseconds); default the column named ts, time or timestamp' },
  machineColumn: { flag: 'machine-column', env: 'REPLAY_MACHINE_COLUMN', type: 'string', description: 'Time-series CSV: the column of machine ids; default a column named machineId or machine, else one machine per file (--machine)' },
  columns: { flag: 'columns', env: 'REPLAY_COLUMNS', type: 'list', description: 'Time-series CSV: the signal columns to replay, renamed with =, e.g. "FT-101=flow,PT-102=dischargePressure"; default every numeric column' },
  interval: { flag: 'interval', env: 'REPLAY_INTERVAL', type: 'number', min: 0.001, default: D.replay.intervalMs / 1000, description: 'AI4I: seconds between rows (the data set has no timestamps)' },
  originalTimestamps: { flag: 'original-timestamps', env: 'REPLAY_ORIGINAL_TIMESTAMPS', type: 'boolean', default: D.replay.originalTimestamps, description: 'Publish recorded timestamps instead of shifting them to now' },
  loop: { flag: 'loop', env: 'REPLAY_LOOP', type: 'boolean', default: D.replay.loop, description: 'Start over at the end of the file' },
  ...publishingOptions
} as const satisfies ConfigSpec
export type ReplayConfig = ConfigOf<typeof replayConfigSpec>

import { loggingOptions, type ConfigSpec } from '@factory-edge/shared/runtime'
import { MACHINE_KINDS } from '@factory-edge/sensor-simulator'

/** Settings of `npm start` / `factory-edge`: the whole pipeline on one machine. */
export const launcherOptions = {
  host: { flag: 'host', env: 'FACTORY_EDGE_HOST', type: 'string', default: '127.0.0.1', description: 'Address the embedded broker listens on' },
  port: { flag: 'port', env: 'FACTORY_EDGE_PORT', type: 'integer', min: 0, max: 65535, default: 1883, description: 'TCP port of the embedded broker (0 picks a free one)' },
  machines: { flag: 'machines', env: 'FACTORY_EDGE_MACHINES', type: 'integer', min: 1, max: 10000, default: 5, description: 'Number of simulated machines' },
  kind: { flag: 'kind', env: 'FACTORY_EDGE_KIND', type: 'enum', choices: MACHINE_KINDS, default: 'ai4i', description: 'Kind of the simulated machines: ai4i (milling machines, scored by a trained model) or pump (centrifugal pumps that each learn their own normal first, from config/profiles.yaml)' },
  rateHz: { flag: 'rate', env: 'FACTORY_EDGE_RATE', type: 'number', min: 0.01, max: 1000, default: 2, description: 'Readings per second per machine' },
  httpPort: { flag: 'http-port', env: 'FACTORY_EDGE_HTTP_PORT', type: 'integer', min: 0, max: 65535, default: 9464, description: 'Port of the detector\'s HTTP server on 127.0.0.1: the live web view at /ui/, /healthz and /metrics (0 picks a free one)' },
  failureEvery: { flag: 'failure-every', env: 'FACTORY_EDGE_FAILURE_EVERY', type: 'number', min: 0, max: 86400, default: 20, description: 'Seconds between injected failures (0: none); the first comes after 5 s' },
  model: { flag: 'model', env: 'MODEL_PATH', type: 'string', default: 'results/model.json', description: 'Model file; trained on synthetic data first if it is missing' },
  trainData: { flag: 'train-data', env: 'FACTORY_EDGE_TRAIN_DATA', type: 'enum', choices: ['synthetic', 'ai4i'], default: 'synthetic', description: 'Data for the first model: the simulator\'s own machines, or the AI4I 2020 data set (downloaded once; falls back to synthetic when offline)' },
  seed: { flag: 'seed', env: 'FACTORY_EDGE_SEED', type: 'integer', default: 1, description: 'Seed of the simulation and of the first model' },
  view: { flag: 'view', env: 'FACTORY_EDGE_VIEW', type: 'enum', choices: ['summary', 'machines', 'quiet'], default: 'summary', description: 'Live view: one summary line a second, one line per machine a second, or alerts only' },
  ...loggingOptions,
  logLevel: { ...loggingOptions.logLevel, default: 'warn', description: 'Minimum level of the services\' log lines (on stderr)' }
} as const satisfies ConfigSpec

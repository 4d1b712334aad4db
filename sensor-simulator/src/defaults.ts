import { DEFAULT_TOPIC_PREFIX } from '@factory-edge/shared/contract'

/**
 * Every default of the simulator service, once: the configuration spec (flags, environment, `--help`),
 * the simulator, the replayer, the MQTT link and the scheduler for the options a caller leaves out, and
 * the generated docs read them from here.
 */
export const SIMULATOR_DEFAULTS = {
  topicPrefix: DEFAULT_TOPIC_PREFIX,
  insecure: false,
  /**
   * QoS of telemetry. 1: at least once, so readings published while a subscriber with a persistent
   * session (the detector) restarts are delivered when it is back; 0 is cheaper but loses them.
   */
  qos: '1',
  /** Client ids get a random suffix, so that two simulators never take over each other's session. */
  clientIdPrefix: 'sensor-simulator',
  /** Messages kept per connection while the broker is unreachable or slower than the readings. */
  queueLimit: 10_000,
  /** How long start-up waits for the first connection before it goes on, queuing. */
  connectWaitMs: 10_000,
  /** Seconds between progress log lines of `run` and `replay` (a terminal gets a bar redrawn every second). */
  statsIntervalS: 10,
  run: {
    machines: 5,
    kind: 'ai4i',
    rateHz: 1,
    failureRate: 0,
    sensorFaultRate: 0,
    connection: 'auto',
    /** Largest fleet that `connection: 'auto'` gives one connection (and last will) per machine. */
    autoPerMachineLimit: 50,
    durationS: 0
  },
  replay: {
    clientIdPrefix: 'sensor-simulator-replay',
    speed: 1,
    /** Machine id of the rows of a file that has none (AI4I). */
    machine: 'ai4i-1',
    /** Time between the rows of a file that has no time column (AI4I). */
    intervalMs: 1000,
    originalTimestamps: false,
    loop: false,
    /** Records held to restore time order in a roughly ordered recording. */
    reorderWindow: 1024
  },
  link: {
    keepaliveS: 30,
    connectTimeoutMs: 10_000,
    /** First and longest wait before reconnecting; the wait doubles after every failed attempt. */
    reconnectMinMs: 500,
    reconnectMaxMs: 30_000,
    /** QoS 1 readings awaiting PUBACK at most before new ones wait in the bounded queue. */
    maxInflight: 1000,
    /** Longest wait for QoS 1 acknowledgements when closing. */
    closeTimeoutMs: 3000
  },
  scheduler: {
    minSleepMs: 4,
    maxBatch: 5000
  }
} as const

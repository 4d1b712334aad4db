import type { ConfigSpec } from './options.js'
import { DEFAULT_TOPIC_PREFIX } from '../../contract/topics.js'

/** Logging settings every service accepts. */
export const loggingOptions = {
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    type: 'enum',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'Minimum level of log lines written'
  },
  logFormat: {
    flag: 'log-format',
    env: 'LOG_FORMAT',
    type: 'enum',
    choices: ['auto', 'json', 'pretty'],
    default: 'auto',
    description: 'json for machines, pretty for people; auto picks pretty on a terminal'
  }
} as const satisfies ConfigSpec

/** MQTT client settings shared by the simulator and the detector. */
export const mqttClientOptions = {
  brokerUrl: {
    flag: 'broker-url',
    env: 'MQTT_URL',
    type: 'string',
    default: 'mqtt://127.0.0.1:1883',
    pattern: /^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/,
    hint: 'an URL such as mqtt://host:1883, mqtts://host:8883 or ws://host:9001',
    description: 'MQTT broker URL'
  },
  username: { flag: 'username', env: 'MQTT_USERNAME', type: 'string', description: 'MQTT user name' },
  password: { flag: 'password', env: 'MQTT_PASSWORD', type: 'string', secret: true, description: 'MQTT password' },
  caFile: { flag: 'ca-file', env: 'MQTT_CA_FILE', type: 'string', description: 'CA certificate (PEM) to trust for mqtts:// and wss://' },
  topicPrefix: {
    flag: 'topic-prefix',
    env: 'TOPIC_PREFIX',
    type: 'string',
    default: DEFAULT_TOPIC_PREFIX,
    pattern: /^[^#+\s/][^#+\s]*$/,
    hint: 'a topic level without wildcards, e.g. factory or plant1/factory',
    description: 'First topic level(s): topics are <prefix>/<machineId>/<kind>'
  }
} as const satisfies ConfigSpec

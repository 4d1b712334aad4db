export * from './config/index.js'
export * from './cli.js'
export * from './logger.js'
export * from './rate-limited-log.js'

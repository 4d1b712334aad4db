export * from './errors.js'
export * from './config/index.js'
export * from './messages/index.js'
export * from './features/index.js'
export * from './forest/index.js'
export * from './model/index.js'
export * from './logger.js'
export * from './random.js'
export * from './metrics/measurements.js'
export * from './cli.js'
// Not the rest of ./runtime: loading prom-client costs tens of milliseconds and megabytes that the
// simulator, and its Raspberry Pi bundle, do without. Services import it from '@factory-edge/shared/runtime'.
export { RateLimitedLog } from './runtime/rate-limited-log.js'

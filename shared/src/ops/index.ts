export * from './metrics-registry.js'
export * from './ops-server.js'
export * from './collected-metrics.js'
export * from './listen.js'

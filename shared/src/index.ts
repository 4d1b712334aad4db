export * from './errors.js'
export * from './contract/index.js'
export * from './ml.js'
export * from './runtime/index.js'

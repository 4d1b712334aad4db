export * from './signals.js'
export * from './spec.js'
export * from './extractor.js'

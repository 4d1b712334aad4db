// The machine-learning side of shared: features, the Isolation Forest, model files and the seeded
// random numbers they use. Services that do not score (the broker) never load it.
export * from './features/index.js'
export * from './forest/index.js'
export * from './model/index.js'
export * from './random.js'

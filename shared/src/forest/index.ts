export * from './path-length.js'
export * from './isolation-forest.js'

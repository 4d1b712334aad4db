export * from './model.js'
export * from './model-file.js'

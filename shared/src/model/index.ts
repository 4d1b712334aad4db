export * from './model.js'
export * from './model-file.js'
export * from './forest-codec.js'
export { ModelFileError } from '../errors.js'

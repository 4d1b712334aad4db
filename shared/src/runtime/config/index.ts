export * from './options.js'
export * from './help.js'
export * from './common.js'
export * from './command.js'

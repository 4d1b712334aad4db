export * from './score-file.js'
export * from './episodes.js'
export * from './windows.js'

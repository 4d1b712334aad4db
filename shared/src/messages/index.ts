export * from './topics.js'
export * from './schemas.js'
export * from './decode.js'
export * from './asyncapi.js'

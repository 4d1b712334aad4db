// Self-learned baselines per machine: learning, the persisted files, and resets made by other processes.
export * from './learner.js'
export * from './store.js'
export * from './reset-requests.js'
export { BaselineFileError, type BaselineProblem } from '../errors.js'

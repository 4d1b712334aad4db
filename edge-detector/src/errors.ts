import { FactoryEdgeError } from '@factory-edge/shared/errors'

/** What is wrong with a baseline file, so that the caller can count refusals by kind without parsing the message. */
export type BaselineProblem =
  /** Not JSON, truncated, not a baseline file, or a model inside it that does not validate. */
  | 'corrupt'
  /** A baseline or model format version this build does not read. */
  | 'version'
  /** Written for another profile than the one that covers the machine now. */
  | 'profile'
  /** Written for another machine (a file copied or renamed by hand). */
  | 'machine'
  /** Its features are not the ones the machine's profile computes now (the profile was changed). */
  | 'features'

/**
 * A machine's persisted baseline that cannot be used. The detector counts it and lets the machine learn
 * again; the message names the file and the problem. Exit code 1: the command was right, the file is not.
 */
export class BaselineFileError extends FactoryEdgeError {
  override name = 'BaselineFileError'
  override readonly code = 'ERR_BASELINE_FILE'
  constructor (message: string, readonly problem: BaselineProblem, readonly path: string) {
    super(message)
  }
}

/** A machine named on the command line has no baseline (e.g. `edge-detector baseline show`). */
export class NoBaselineError extends FactoryEdgeError {
  override name = 'NoBaselineError'
  override readonly code = 'ERR_NO_BASELINE'
}

/**
 * Base of every error factory-edge raises on purpose: `code` tells the cases apart without parsing the
 * message, and `exitCode` is what a command exits with when the error reaches `runMain` (2: the command
 * was called wrongly, a setting or a file it names is not usable; 1: anything else). Messages are one line.
 */
export class FactoryEdgeError extends Error {
  override name = 'FactoryEdgeError'
  readonly code: string = 'ERR_FACTORY_EDGE'
  readonly exitCode: number = 1
}

/** A setting that is unknown or has a value that is not allowed; the message names both. */
export class ConfigError extends FactoryEdgeError {
  override name = 'ConfigError'
  override readonly code = 'ERR_CONFIG'
  override readonly exitCode = 2
}

/**
 * A data file that cannot be used: missing, empty, binary, wrongly delimited, missing a column or
 * holding a bad value. The message names the file and the problem. Exit code 1: the command was right,
 * the data is not.
 */
export class DataError extends FactoryEdgeError {
  override name = 'DataError'
  override readonly code = 'ERR_DATA'
}

/** Thrown for input the forest cannot learn from or score, and for forest arrays that are inconsistent. */
export class ForestInputError extends FactoryEdgeError {
  override name = 'ForestInputError'
  override readonly code = 'ERR_FOREST_INPUT'
}

/** A model file that is missing, corrupt, truncated or of an incompatible format. */
export class ModelFileError extends FactoryEdgeError {
  override name = 'ModelFileError'
  override readonly code = 'ERR_MODEL_FILE'
}

/** A feature specification that cannot be computed; it comes from the user's flags, hence exit code 2. */
export class FeatureSpecError extends FactoryEdgeError {
  override name = 'FeatureSpecError'
  override readonly code = 'ERR_FEATURE_SPEC'
  override readonly exitCode = 2
}

/**
 * A listener that cannot start: the port is taken or not allowed, or the address is not this machine's.
 * The message names the flag and the environment variable to change; `errno` keeps the system code.
 */
export class ListenError extends FactoryEdgeError {
  override name = 'ListenError'
  override readonly code = 'ERR_LISTEN'
  override readonly exitCode = 2
  constructor (message: string, readonly errno: string) {
    super(message)
  }
}

/**
 * A sensor profiles file that cannot be used: unreadable, not YAML/JSON, or a profile with a key or value
 * that is not allowed. The message names the file, the profile, the key and what is allowed; exit code 2
 * like a ConfigError, since the file is part of the command's configuration.
 */
export class ProfileError extends FactoryEdgeError {
  override name = 'ProfileError'
  override readonly code = 'ERR_PROFILE'
  override readonly exitCode = 2
}

/**
 * A derived-signal expression that does not parse or names something unknown. `position` is the 0-based
 * offset in the expression text where the problem starts; the message shows it as a 1-based column.
 */
export class ExpressionError extends FactoryEdgeError {
  override name = 'ExpressionError'
  override readonly code = 'ERR_EXPRESSION'
  override readonly exitCode = 2
  constructor (message: string, readonly position: number) {
    super(message)
  }
}

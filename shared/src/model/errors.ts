/** A model file that is missing, corrupt, truncated or of an incompatible format. */
export class ModelFileError extends Error {
  override name = 'ModelFileError'
}

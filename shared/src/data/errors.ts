/**
 * A data file that cannot be used: missing, empty, binary, wrongly delimited, missing a column or
 * holding a bad value. The message is one line that names the file and the problem; the CLI prints
 * it as is, without a stack trace.
 */
export class DataError extends Error {
  override name = 'DataError'
}

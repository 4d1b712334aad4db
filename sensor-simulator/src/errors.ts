import { FactoryEdgeError } from '@factory-edge/shared/errors'

/** A scenario that cannot be understood; the message quotes it and says what is expected. A configuration mistake. */
export class ScenarioError extends FactoryEdgeError {
  override name = 'ScenarioError'
  override readonly code = 'ERR_SCENARIO'
  override readonly exitCode = 2
}

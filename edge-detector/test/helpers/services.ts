import { join } from 'node:path'
import { type Model } from '@factory-edge/shared/ml'
import { createLogger, type Logger } from '@factory-edge/shared/runtime'
import { startAedes, type TestBroker } from '@factory-edge/test-support/aedes'
import { writeTestModel } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'

/** A logger that writes nothing, for quiet tests. */
export function quietLogger (): Logger {
  return createLogger('test', { level: process.env.TEST_LOG_LEVEL as 'info' | undefined ?? 'silent', format: 'json', destination: process.stderr })
}

/** What most service tests start from: a broker and a temporary directory holding a test model. */
export interface BrokerAndModel {
  broker: TestBroker
  dir: string
  modelPath: string
  model: Model
}

/**
 * Starts a plain aedes broker (the detector depends on `shared` only, not on our broker package) and
 * writes a test model to a temporary directory; both go away after the test.
 */
export async function brokerAndModel (t: { after: (fn: () => Promise<void>) => void }): Promise<BrokerAndModel> {
  const broker = await startAedes()
  t.after(() => broker.close())
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const modelPath = join(dir, 'model.json')
  const model = await writeTestModel(modelPath)
  return { broker, dir, modelPath, model }
}

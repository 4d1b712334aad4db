import { dirname, join } from 'node:path'

/**
 * The models directory: `--models-dir` when given, else `models/` beside the model file. Retrained
 * versions go there as `<version>.json`, self-learned baselines under `baselines/`.
 */
export function resolveModelsDir (modelsDir: string | undefined, modelPath: string): string {
  return modelsDir ?? join(dirname(modelPath), 'models')
}

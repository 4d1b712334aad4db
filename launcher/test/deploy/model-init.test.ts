import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadModel } from '@factory-edge/shared/ml'
import { freePort } from '@factory-edge/test-support/ports'
import { tempDir } from '@factory-edge/test-support/temp-dir'

// compose's model-init service runs deploy/scripts/model-init.sh in the detector image; here it runs on
// the repository's build (APP_DIR), offline: the AI4I download fails, simulated readings stand in.

const REPO = fileURLToPath(new URL('../../../../', import.meta.url))

test('model-init trains a first model (simulated readings when AI4I 2020 cannot be downloaded), then leaves it alone', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir('model-init-')
  t.after(() => dir.cleanup())
  const modelPath = join(dir.dir, 'models', 'model.json')
  const env = { PATH: process.env.PATH, APP_DIR: REPO, MODEL_PATH: modelPath, AI4I_URL: `http://127.0.0.1:${await freePort()}/ai4i2020.zip`, LOG_LEVEL: 'warn' }
  const first = spawnSync('sh', [join(REPO, 'deploy/scripts/model-init.sh')], { env, encoding: 'utf8' })
  assert.equal(first.status, 0, first.stdout + first.stderr)
  assert.match(first.stdout, /no model at .*model\.json: training one on the AI4I 2020 data set/)
  assert.match(first.stdout, /training on simulated readings instead/)
  const model = await loadModel(modelPath)
  assert.ok(model.version.length > 0)

  const second = spawnSync('sh', [join(REPO, 'deploy/scripts/model-init.sh')], { env, encoding: 'utf8' })
  assert.equal(second.status, 0, second.stderr)
  assert.match(second.stdout, /is there; nothing to do/)
  assert.equal((await loadModel(modelPath)).version, model.version)
})

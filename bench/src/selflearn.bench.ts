/**
 * Self-learned baselines (issue 14, section 2): the time one machine takes to learn its baseline from
 * 1,000 feature rows of the example pump profile (15 features), without and with a trim of 0.1 (the
 * shipped pump profile's), the size of its persisted file, and the resident memory of a detector-like
 * process holding 1,000 of them loaded from disk, with each machine's state (selflearn-child.ts).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BaselineStore, learnBaseline } from '@factory-edge/edge-detector/baseline'
import { loadProfiles } from '@factory-edge/shared/profiles'
import { pumpFeatureRows } from '@factory-edge/test-support/readings'
import { tempDir } from '@factory-edge/test-support/temp-dir'
import type { Benchmark } from './harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const PROFILES = join(here, '../../config/profiles.example.yaml')
const MACHINES = 1000
const LEARN_ROWS = 1000
const TRIMMED_MACHINES = 200

const selflearn: Benchmark = async (ctx) => {
  const profile = loadProfiles(PROFILES).byName('pump')
  if (profile === undefined) throw new Error(`${PROFILES} has no pump profile`)
  const dir = await tempDir('factory-edge-bench-selflearn-')
  try {
    const store = new BaselineStore(join(dir.dir, 'models'))
    const times: number[] = []
    let largest = 0
    for (let m = 0; m < MACHINES; m++) {
      // Each machine its own stream and seed, as in a fleet.
      const rows = pumpFeatureRows(profile, LEARN_ROWS, 1000 + m)
      const started = performance.now()
      const model = learnBaseline(profile.features, rows, { machineId: `pump-${m}`, profile, learnedAt: 1_767_225_600_000 + LEARN_ROWS * 1000 })
      times.push(performance.now() - started)
      largest = Math.max(largest, (await stat(await store.save(`pump-${m}`, profile, model))).size)
    }
    // The first machines warm up the JIT; the median of the rest.
    const warm = times.slice(20).sort((a, b) => a - b)
    ctx.report('selflearn.learn_ms_per_machine', warm[Math.floor(warm.length / 2)], 'ms')
    ctx.report('selflearn.model_bytes_per_machine', largest, 'bytes')
    // With `learn: { trim: 0.1 }`, as the shipped pump profile learns: a first forest picks the rows to leave out.
    const trimmed: number[] = []
    for (let m = 0; m < TRIMMED_MACHINES; m++) {
      const rows = pumpFeatureRows(profile, LEARN_ROWS, 1000 + m)
      const started = performance.now()
      learnBaseline(profile.features, rows, { machineId: `pump-${m}`, profile, learnedAt: 1_767_225_600_000 + LEARN_ROWS * 1000 }, { trim: 0.1 })
      trimmed.push(performance.now() - started)
    }
    const warmTrimmed = trimmed.slice(20).sort((a, b) => a - b)
    ctx.report('selflearn.learn_ms_per_machine_trim', warmTrimmed[Math.floor(warmTrimmed.length / 2)], 'ms')

    // The detector's own V8 flag (see edge-detector/bin/edge-detector.js).
    const child = spawn(process.execPath, ['--max-semi-space-size=4', '--expose-gc', join(here, 'selflearn-child.js'), store.modelsDir, PROFILES, String(MACHINES)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    child.stdout.on('data', (d) => { output += String(d) })
    const [code] = await once(child, 'close') as [number | null]
    if (code !== 0) throw new Error(`selflearn-child exited with ${code}`)
    const result = JSON.parse(output) as { machines: number, scored: number, rssBeforeMb: number, rssMb: number }
    if (result.machines !== MACHINES || result.scored !== MACHINES) throw new Error(`the child holds ${result.machines} machines and scored ${result.scored}, expected ${MACHINES}`)
    ctx.report('selflearn.rss_mb_1000_machines', result.rssMb, 'MB')
    ctx.report('selflearn.rss_mb_before_loading', result.rssBeforeMb, 'MB')
  } finally {
    await dir.cleanup()
  }
}

export default selflearn

/**
 * Training on the AI4I 2020 file, parsing and features included (`train.ai4i_ms`), plus the quality
 * of the default and the original design's feature sets on the same rows.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ORIGINAL_FEATURES, Random } from '@factory-edge/shared/ml'
import { loadDataset, trainOnDataset, type TrainResult } from '@factory-edge/edge-detector/training'
import type { BenchContext } from './harness.js'

/** 10,000 AI4I-shaped rows for machines without the real file; figures are then reported as `ai4i_like`. */
function ai4iLikeCsv (rows: number): string {
  const r = new Random(7)
  const lines = ['UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF']
  for (let i = 0; i < rows; i++) {
    const air = r.normal(300, 2)
    const fail = r.next() < 0.034
    const torque = fail ? r.uniform(65, 76) : Math.max(4, r.normal(40, 10))
    lines.push(`${i + 1},L${i},L,${air.toFixed(1)},${(air + 10 + r.normal(0, 1)).toFixed(1)},${Math.round(r.normal(1540, 180))},${torque.toFixed(1)},${i % 240},${fail ? 1 : 0},0,0,0,${fail ? 1 : 0},0`)
  }
  return '\uFEFF' + lines.join('\n') + '\n'
}

export default async function (ctx: BenchContext): Promise<void> {
  let path = ctx.ai4iPath
  let name = 'ai4i'
  let cleanup: string | undefined
  if (!existsSync(path)) {
    cleanup = await mkdtemp(join(tmpdir(), 'fe-bench-'))
    path = join(cleanup, 'ai4i-like.csv')
    await writeFile(path, ai4iLikeCsv(10_000))
    name = 'ai4i_like'
  }
  try {
    const runs = ctx.quick ? 3 : 9
    const times: number[] = []
    let result: TrainResult | undefined
    for (let i = 0; i < runs + 1; i++) {
      const start = performance.now()
      const dataset = await loadDataset(path)
      result = trainOnDataset(dataset)
      const ms = performance.now() - start
      if (i > 0) times.push(ms) // the first run warms up the JIT
    }
    times.sort((a, b) => a - b)
    ctx.report(`train.${name}_ms`, times[Math.floor(times.length / 2)], 'ms')
    const e = result?.evaluation
    if (e != null) {
      ctx.report(`train.${name}.default.auc`, e.auc, 'ROC-AUC')
      ctx.report(`train.${name}.default.ap`, e.ap, 'AP')
      ctx.report(`train.${name}.default.f1`, e.f1, 'F1')
    }
    const original = trainOnDataset(await loadDataset(path), { features: ORIGINAL_FEATURES }).evaluation
    if (original !== null) ctx.report(`train.${name}.original.auc`, original.auc, 'ROC-AUC')
  } finally {
    if (cleanup !== undefined) await rm(cleanup, { recursive: true, force: true })
  }
}

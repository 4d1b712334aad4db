import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Random } from '@factory-edge/shared/ml'
import { tempDir as makeTempDir } from '@factory-edge/test-support/temp-dir'

export const UCI_HEADER = 'UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF'
export const KAGGLE_HEADER = 'UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Target,Failure Type'

/** A temporary directory removed after the test. */
export async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const { dir, cleanup } = await makeTempDir('fe-training-')
  t.after(cleanup)
  return dir
}

export async function writeText (dir: string, name: string, text: string | Buffer): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

export interface SyntheticRow { air: number, process: number, rpm: number, torque: number, wear: number, failure: 0 | 1, mode: '' | 'PWF' | 'OSF' | 'HDF' }

/**
 * AI4I-like rows: normal operation around the real data's means, and about 4 % failures that break
 * the same physical limits as the real ones (power out of range, overstrain, poor heat dissipation).
 */
export function ai4iLikeRows (n: number, seed: number): SyntheticRow[] {
  const r = new Random(seed)
  const rows: SyntheticRow[] = []
  for (let i = 0; i < n; i++) {
    const air = r.normal(300, 2)
    const row: SyntheticRow = { air, process: air + 10 + r.normal(0, 1), rpm: r.normal(1540, 150), torque: Math.max(5, r.normal(40, 8)), wear: (i * 3) % 220, failure: 0, mode: '' }
    const u = r.next()
    if (u < 0.015) {
      Object.assign(row, { rpm: r.uniform(2500, 2800), torque: r.uniform(3, 8), failure: 1, mode: 'PWF' })
    } else if (u < 0.03) {
      Object.assign(row, { torque: r.uniform(65, 75), wear: r.uniform(200, 240), failure: 1, mode: 'OSF' })
    } else if (u < 0.04) {
      Object.assign(row, { process: air + r.uniform(7, 8.2), rpm: r.uniform(1180, 1300), failure: 1, mode: 'HDF' })
    }
    rows.push(row)
  }
  return rows
}

/** The rows as a UCI ai4i2020.csv (with its byte-order mark). */
export function uciCsv (rows: SyntheticRow[]): string {
  const lines = rows.map((x, i) => [i + 1, `L${47000 + i}`, 'L', x.air.toFixed(1), x.process.toFixed(1), Math.round(x.rpm), x.torque.toFixed(1), Math.round(x.wear), x.failure,
    0, x.mode === 'HDF' ? 1 : 0, x.mode === 'PWF' ? 1 : 0, x.mode === 'OSF' ? 1 : 0, 0].join(','))
  return '\uFEFF' + [UCI_HEADER, ...lines].join('\r\n') + '\r\n'
}

const KAGGLE_TYPES = { '': 'No Failure', PWF: 'Power Failure', OSF: 'Overstrain Failure', HDF: 'Heat Dissipation Failure' }

/** The rows as Kaggle's predictive_maintenance.csv. */
export function kaggleCsv (rows: SyntheticRow[]): string {
  const lines = rows.map((x, i) => [i + 1, `L${47000 + i}`, 'L', x.air.toFixed(1), x.process.toFixed(1), Math.round(x.rpm), x.torque.toFixed(1), Math.round(x.wear), x.failure, KAGGLE_TYPES[x.mode]].join(','))
  return [KAGGLE_HEADER, ...lines].join('\n') + '\n'
}

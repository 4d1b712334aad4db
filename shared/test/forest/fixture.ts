import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The scikit-learn parity fixture written by scripts/sklearn-fixture.py. */
export interface ParityFixture {
  sklearn: string
  params: { n_estimators: number }
  features: string[]
  rocAuc: number
  selfSpearman: number
  rows: number[][]
  labels: number[]
  scoreSamples: number[]
}

// Tests run from dist/test/forest/, the fixture stays in the source tree.
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/sklearn-parity.json', import.meta.url))

/** Loads the fixture and its rows as a row-major matrix. */
export function loadParityFixture (): { fixture: ParityFixture, data: Float64Array, nFeatures: number } {
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as ParityFixture
  const nFeatures = fixture.features.length
  const data = new Float64Array(fixture.rows.length * nFeatures)
  fixture.rows.forEach((row, r) => data.set(row, r * nFeatures))
  return { fixture, data, nFeatures }
}

/** Average ranks (ties share their mean rank), 1-based. */
export function ranks (values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b])
  const result = new Float64Array(values.length)
  for (let i = 0; i < order.length;) {
    let j = i
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++
    for (let k = i; k <= j; k++) result[order[k]] = (i + j) / 2 + 1
    i = j + 1
  }
  return result
}

/** Spearman rank correlation: Pearson correlation of the ranks. */
export function spearman (a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a)
  const rb = ranks(b)
  const n = ra.length
  const mean = (n + 1) / 2
  let cov = 0
  let va = 0
  let vb = 0
  for (let i = 0; i < n; i++) {
    cov += (ra[i] - mean) * (rb[i] - mean)
    va += (ra[i] - mean) ** 2
    vb += (rb[i] - mean) ** 2
  }
  return cov / Math.sqrt(va * vb)
}

/** ROC-AUC of `scores` (higher means positive) against 0/1 labels, via the Mann–Whitney U statistic. */
export function rocAuc (labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const r = ranks(scores)
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      positives++
      rankSum += r[i]
    }
  }
  const negatives = labels.length - positives
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

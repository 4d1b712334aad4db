/** Euler–Mascheroni constant, as in H(i) ≈ ln(i) + γ. */
export const EULER_GAMMA = 0.5772156649015329

/**
 * Average path length of an unsuccessful binary-search-tree search among n points,
 * c(n) = 2·H(n−1) − 2(n−1)/n (Liu et al. 2008), with c(1) = 0 and c(2) = 1 as in scikit-learn.
 */
export function averagePathLength (n: number): number {
  if (n <= 1) return 0
  if (n === 2) return 1
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n
}

const tables = new Map<number, Float64Array>()

/** c(n) for n = 0 .. maxN, computed once per maxN and shared (read-only). */
export function averagePathLengths (maxN: number): Float64Array {
  let table = tables.get(maxN)
  if (table === undefined) {
    table = Float64Array.from({ length: maxN + 1 }, (_, n) => averagePathLength(n))
    tables.set(maxN, table)
  }
  return table
}

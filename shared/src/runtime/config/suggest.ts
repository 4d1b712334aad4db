import { distance } from 'fastest-levenshtein'

/**
 * The known option closest to a mistyped one, or undefined when none is close enough to be a likely typo.
 * Edit distance from fastest-levenshtein rather than our own; a third of the name (at least 2) still reads
 * as the same word (`brokr-url`, `machnes`, `prot`) without suggesting something unrelated.
 */
export function nearestOption (name: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 3))
  let best: string | undefined
  let bestDistance = limit + 1
  for (const candidate of known) {
    const d = distance(name, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

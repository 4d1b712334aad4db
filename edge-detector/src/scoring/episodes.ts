/**
 * Alerts against what really went on, as a plant counts them: an episode (a failure, a sensor fault, a
 * labelled anomaly window) is detected when an alert is raised while it lasts, or a little after; a raise
 * that matches no episode is a false alarm. Positions are on one axis per caller: sequence numbers for
 * simulated runs, timestamps for labelled files.
 */

/** Something that went on with one machine, from `first` to `last` (inclusive). */
export interface Episode {
  machineId: string
  /** What kind of episode: `failure`, `fault`, `anomaly`... (matched against `kind` of {@link matchEpisodes}). */
  kind: string
  mode: string
  /** The signal a sensor fault affects. */
  signal?: string
  first: number
  last: number
}

/** An alert raise, where it happened on the same axis as the episodes. */
export interface Raise {
  machineId: string
  at: number
  kind?: 'process' | 'sensor_fault'
}

/** How the raises of a run match its episodes. */
export interface EpisodeMatch {
  /** Episodes of the kind with a raise while they lasted (or within the grace after). */
  detected: number
  episodes: number
  /** From an episode's start to its first raise, per detected episode. */
  delays: number[]
  /** Raises outside every episode (and its grace). */
  falseAlarms: number
  /** Detected episodes whose first raise was a sensor-fault alert. */
  labelledSensorFault: number
}

/**
 * Matches each raise to the episodes of its machine going on at that moment, or ended at most `grace`
 * before (a dropout is noticed only at the first reading after it); the first raise in an episode of
 * `kind` detects it.
 */
export function matchEpisodes (raises: readonly Raise[], episodes: readonly Episode[], kind: string, grace: number): EpisodeMatch {
  const byMachine = new Map<string, Episode[]>()
  for (const e of episodes) {
    const list = byMachine.get(e.machineId) ?? []
    list.push(e)
    byMachine.set(e.machineId, list)
  }
  const detectedEpisodes = new Set<Episode>()
  const delays: number[] = []
  let falseAlarms = 0
  let labelledSensorFault = 0
  for (const raise of raises) {
    const matching = (byMachine.get(raise.machineId) ?? []).filter((e) => raise.at >= e.first && raise.at <= e.last + grace)
    if (matching.length === 0) {
      falseAlarms++
      continue
    }
    const episode = matching.find((e) => e.kind === kind)
    if (episode !== undefined && !detectedEpisodes.has(episode)) {
      detectedEpisodes.add(episode)
      delays.push(raise.at - episode.first)
      if (raise.kind === 'sensor_fault') labelledSensorFault++
    }
  }
  return { detected: detectedEpisodes.size, episodes: episodes.filter((e) => e.kind === kind).length, delays, falseAlarms, labelledSensorFault }
}

/** The `q`-quantile of a list of numbers (NaN when empty). */
export function quantileOf (values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

import type { AnomalyEvent, MachineState, RejectedMessage } from '@factory-edge/shared/contract'
import type { Model } from '@factory-edge/shared/ml'
import { DetectorPipeline, type BaselineHooks, type PipelineOptions, type PipelineSink } from '@factory-edge/edge-detector'
import type { ProfileSet } from '@factory-edge/shared/profiles'
import { matchEpisodes, type Episode, type EpisodeMatch } from '@factory-edge/edge-detector/scoring'

export type { Episode }
import { generateLabelledReadings, type GenerateReadingsOptions } from '@factory-edge/sensor-simulator'

/** Sensor profiles and per-machine baselines, for fleets of machines that learn their own normal. */
export interface FleetProfiles {
  profiles: ProfileSet
  baselines: BaselineHooks
}

/** One run of a simulated fleet through the detector's pipeline, in simulated time. */
export interface FleetRun {
  /** Alert raises, in reading order. */
  raised: AnomalyEvent[]
  /** Every alert event (raises and clears), in reading order. */
  events: AnomalyEvent[]
  episodes: Episode[]
  readings: number
  machines: number
  /** Readings that went into learning instead of being scored. */
  learning: number
  /** Sequence number of each learning machine's first scored reading (its learning ended just before). */
  scoringFrom: Map<string, number>
}

/** Collects the pipeline's alert events; everything else it produces is not needed here. */
class EventCollector implements PipelineSink {
  readonly events: AnomalyEvent[] = []
  anomaly (event: AnomalyEvent, _state: MachineState): void {
    this.events.push(event)
  }

  rejected (_message: RejectedMessage): void {}
  line (_text: string): void {}
  evicted (_machineId: string, _tracked: number): void {}
  tracked (_state: MachineState): void {}
}

/**
 * Feeds the simulator's readings (the same physics the live stream follows) to the detector's own
 * pipeline, as JSON payloads on the telemetry topic, the way the service receives them, and records the
 * ground truth as episodes. Readings a sensor dropout swallows are not sent. The quality benchmark runs
 * it, and a test checks that the detector service raises the same events for the same readings.
 */
export function runFleet (model: Model | undefined, options: GenerateReadingsOptions, alert?: PipelineOptions['alert'], profiles?: FleetProfiles): FleetRun {
  const sink = new EventCollector()
  const pipeline = new DetectorPipeline({ model, sink, points: false, maxMachines: 100_000, alert, ...profiles })
  const open = new Map<string, Episode>()
  const episodes: Episode[] = []
  let readings = 0
  const track = (key: string, machineId: string, kind: 'failure' | 'fault', mode: string | undefined, seq: number, signal?: string): void => {
    const current = open.get(key)
    if (current !== undefined && (mode === undefined || current.mode !== mode)) {
      episodes.push(current)
      open.delete(key)
    }
    if (mode === undefined) return
    const episode = open.get(key)
    if (episode === undefined) open.set(key, { machineId, kind, mode, signal, first: seq, last: seq })
    else episode.last = seq
  }
  let learning = 0
  const scoringFrom = new Map<string, number>()
  const learnt = profiles !== undefined
  for (const { telemetry: t, failure, fault, faultSignal, sent } of generateLabelledReadings(options)) {
    track(`${t.machineId}/failure`, t.machineId, 'failure', failure, t.seq)
    track(`${t.machineId}/fault`, t.machineId, 'fault', fault, t.seq, faultSignal)
    if (!sent) continue
    const outcome = pipeline.process(`factory/${t.machineId}/telemetry`, Buffer.from(JSON.stringify(t)))
    if (outcome === 'learning') learning++
    else if (learnt && outcome === 'scored' && !scoringFrom.has(t.machineId)) scoringFrom.set(t.machineId, t.seq)
    readings++
  }
  episodes.push(...open.values())
  const machines = options.kinds !== undefined ? options.kinds.reduce((n, k) => n + k.count, 0) : typeof options.machines === 'number' ? options.machines : options.machines.length
  return { raised: sink.events.filter((e) => e.state === 'raised'), events: sink.events, episodes, readings, machines, learning, scoringFrom }
}

/**
 * Matches the raises of a run (by sequence number) to its episodes of `kind` (`failure` or `fault`); a
 * raise up to `graceReadings` after an episode still counts for it (see matchEpisodes).
 */
export function scoreRun (run: FleetRun, kind: 'failure' | 'fault', graceReadings: number): EpisodeMatch {
  return matchEpisodes(run.raised.map((e) => ({ machineId: e.machineId, at: e.seq, kind: e.kind })), run.episodes, kind, graceReadings)
}

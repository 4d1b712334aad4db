import type { AnomalyEvent, MachineState, RejectedMessage } from '@factory-edge/shared/contract'
import type { Model } from '@factory-edge/shared/ml'
import { DetectorPipeline, type PipelineOptions, type PipelineSink } from '@factory-edge/edge-detector'
import { matchEpisodes, type Episode, type EpisodeMatch } from '@factory-edge/edge-detector/scoring'

export type { Episode }
import { generateLabelledTelemetry, type GenerateOptions } from '@factory-edge/sensor-simulator'

/** One run of a simulated fleet through the detector's pipeline, in simulated time. */
export interface FleetRun {
  /** Alert raises, in reading order. */
  raised: AnomalyEvent[]
  /** Every alert event (raises and clears), in reading order. */
  events: AnomalyEvent[]
  episodes: Episode[]
  readings: number
  machines: number
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
export function runFleet (model: Model, options: GenerateOptions, alert?: PipelineOptions['alert']): FleetRun {
  const sink = new EventCollector()
  const pipeline = new DetectorPipeline({ model, sink, points: false, maxMachines: 100_000, alert })
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
  for (const { telemetry: t, failure, fault, faultSignal, sent } of generateLabelledTelemetry(options)) {
    track(`${t.machineId}/failure`, t.machineId, 'failure', failure, t.seq)
    track(`${t.machineId}/fault`, t.machineId, 'fault', fault, t.seq, faultSignal)
    if (!sent) continue
    pipeline.process(`factory/${t.machineId}/telemetry`, Buffer.from(JSON.stringify(t)))
    readings++
  }
  episodes.push(...open.values())
  const machines = typeof options.machines === 'number' ? options.machines : options.machines.length
  return { raised: sink.events.filter((e) => e.state === 'raised'), events: sink.events, episodes, readings, machines }
}

/**
 * Matches the raises of a run (by sequence number) to its episodes of `kind` (`failure` or `fault`); a
 * raise up to `graceReadings` after an episode still counts for it (see matchEpisodes).
 */
export function scoreRun (run: FleetRun, kind: 'failure' | 'fault', graceReadings: number): EpisodeMatch {
  return matchEpisodes(run.raised.map((e) => ({ machineId: e.machineId, at: e.seq, kind: e.kind })), run.episodes, kind, graceReadings)
}

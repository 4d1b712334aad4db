import type { AnomalyEvent, MachineState, RejectedMessage } from '@factory-edge/shared/contract'
import type { Model } from '@factory-edge/shared/ml'
import { DetectorPipeline, type PipelineOptions, type PipelineSink } from '@factory-edge/edge-detector'
import { generateLabelledTelemetry, type GenerateOptions } from '@factory-edge/sensor-simulator'

/** What the simulator says went on with one machine over a run of readings (by sequence number). */
export interface Episode {
  machineId: string
  kind: 'failure' | 'fault'
  mode: string
  /** The signal a sensor fault affects. */
  signal?: string
  firstSeq: number
  lastSeq: number
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
  const track = (key: string, machineId: string, kind: Episode['kind'], mode: string | undefined, seq: number, signal?: string): void => {
    const current = open.get(key)
    if (current !== undefined && (mode === undefined || current.mode !== mode)) {
      episodes.push(current)
      open.delete(key)
    }
    if (mode === undefined) return
    const episode = open.get(key)
    if (episode === undefined) open.set(key, { machineId, kind, mode, signal, firstSeq: seq, lastSeq: seq })
    else episode.lastSeq = seq
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

/** How the alerts of a run match its episodes. */
export interface RunQuality {
  /** Episodes with a raise while they lasted. */
  detected: number
  episodes: number
  /** Readings from an episode's first reading to its first raise, per detected episode. */
  delays: number[]
  /** Raises outside every episode (and its grace readings). */
  falseAlarms: number
  /** Detected episodes whose first raise was a sensor-fault alert (`kind: 'sensor_fault'`). */
  labelledSensorFault: number
}

/**
 * Matches each raise to the episode of its machine that was going on, or had ended at most
 * `graceReadings` before (a dropout is noticed only at the first reading after it); the first raise of an
 * episode of `kind` detects it. A raise that matches no episode is a false alarm.
 */
export function scoreRun (run: FleetRun, kind: Episode['kind'], graceReadings: number): RunQuality {
  const byMachine = new Map<string, Episode[]>()
  for (const e of run.episodes) {
    const list = byMachine.get(e.machineId) ?? []
    list.push(e)
    byMachine.set(e.machineId, list)
  }
  const detectedEpisodes = new Set<Episode>()
  const delays: number[] = []
  let falseAlarms = 0
  let labelledSensorFault = 0
  for (const event of run.raised) {
    const list = byMachine.get(event.machineId) ?? []
    const matching = list.filter((e) => event.seq >= e.firstSeq && event.seq <= e.lastSeq + graceReadings)
    if (matching.length === 0) {
      falseAlarms++
      continue
    }
    const episode = matching.find((e) => e.kind === kind)
    if (episode !== undefined && !detectedEpisodes.has(episode)) {
      detectedEpisodes.add(episode)
      delays.push(event.seq - episode.firstSeq)
      if (event.kind === 'sensor_fault') labelledSensorFault++
    }
  }
  return { detected: detectedEpisodes.size, episodes: run.episodes.filter((e) => e.kind === kind).length, delays, falseAlarms, labelledSensorFault }
}

/** The `q`-quantile of a list of numbers (NaN when empty). */
export function quantileOf (values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

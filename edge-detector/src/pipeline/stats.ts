import { REJECT_REASONS, type RejectReason } from '@factory-edge/shared/contract'

/** Upper bounds, in seconds, of the processing-latency histogram buckets. */
export const LATENCY_BUCKETS = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05]

/** Counters of the pipeline; plain numbers and typed arrays, read by /metrics and the stats point. */
export class PipelineStats {
  messagesIn = 0
  scored = 0
  rejected = 0
  readonly rejectedByReason: Record<RejectReason, number>
  duplicates = 0
  /** Stored but not scored: too far behind the newest reading to tell from a redelivered copy. */
  late = 0
  /** Scored although older than the newest reading of their machine. */
  outOfOrder = 0
  otherShard = 0
  windowResets = 0
  streamRestarts = 0
  evictions = 0
  raised = 0
  cleared = 0
  /** Readings added to a machine's learning data instead of being scored. */
  learning = 0
  /** Readings stored but not scored: a missing optional signal the features need. */
  unscored = 0
  /** Payload fields that are neither envelope fields nor signals of the machine's profile (ignored). */
  unknownFields = 0
  /** Optional signals left out of payloads. */
  missingOptional = 0
  baselinesLearned = 0
  baselinesLoaded = 0
  /** Baselines replaced by one learnt from the machine's recent normal readings (relearning). */
  baselinesRelearned = 0
  /** Persisted baselines that could not be used (the machine learned again). */
  baselinesRefused = 0
  /** Learnings whose data the forest could not use (the machine learned again). */
  learnFailures = 0
  /** Cumulative counts per latency bucket (the last is +Inf). */
  readonly latencyBuckets = new Float64Array(LATENCY_BUCKETS.length + 1)
  latencySum = 0
  latencyCount = 0

  constructor () {
    this.rejectedByReason = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>
  }

  /** Records one processing time in seconds. */
  observeLatency (seconds: number): void {
    let i = 0
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++
    this.latencyBuckets[i]++
    this.latencySum += seconds
    this.latencyCount++
  }
}

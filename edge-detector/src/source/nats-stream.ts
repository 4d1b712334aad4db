import { type JetStreamManager, RetentionPolicy, StorageType } from 'nats'
import { natsTelemetrySubjects } from '@factory-edge/shared/contract'
import type { Logger } from '@factory-edge/shared/runtime'

/**
 * Makes sure the telemetry stream exists: created on first use (file storage, `replicas` copies kept by
 * Raft), left as it is when present, so that an operator's own limits (age, size) are not overwritten.
 */
export async function ensureTelemetryStream (jsm: JetStreamManager, name: string, replicas: number, prefix: string, logger: Logger): Promise<void> {
  const subjects = [natsTelemetrySubjects(prefix)]
  try {
    const info = await jsm.streams.info(name)
    const missing = subjects.filter((s) => !info.config.subjects.includes(s))
    if (missing.length > 0) logger.warn({ stream: name, subjects: info.config.subjects, missing }, 'the telemetry stream does not capture the partitioned telemetry subjects')
    return
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
  await jsm.streams.add({ name, subjects, num_replicas: replicas, storage: StorageType.File, retention: RetentionPolicy.Limits })
  logger.info({ stream: name, subjects, replicas }, 'created the telemetry stream')
}

/** JetStream's "stream not found" / "consumer not found" (API error codes 10059 and 10014). */
export function isNotFound (err: unknown): boolean {
  const code = (err as { api_error?: { err_code?: number } }).api_error?.err_code
  return code === 10059 || code === 10014 || /not found/i.test((err as Error).message)
}

/** The cluster could not answer a request for now: a timeout, or no responders (nats.js codes TIMEOUT, 503, 408). */
export function isUnavailable (err: unknown): boolean {
  const code = (err as { code?: string }).code
  return code === 'TIMEOUT' || code === '503' || code === '408'
}

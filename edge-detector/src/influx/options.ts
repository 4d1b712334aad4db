import { DETECTOR_DEFAULTS } from '../defaults.js'

/** Defaults of {@link InfluxOptions}: the detector's, so that the config spec and the writer agree. */
export const INFLUX_DEFAULTS = DETECTOR_DEFAULTS.influx

/** InfluxDB v2 connection and write behaviour. */
export interface InfluxOptions {
  url: string
  token?: string
  org: string
  bucket: string
  /** Lines per write request. */
  batchSize?: number
  /** Longest time a line waits before its batch is sent, in ms. */
  flushIntervalMs?: number
  /** Request bodies larger than this many bytes are gzipped. */
  gzipThreshold?: number
  /** Timeout of one write request, in ms. */
  timeoutMs?: number
  /** First retry delay after a failed write, doubled per failure up to maxRetryDelayMs. */
  minRetryDelayMs?: number
  maxRetryDelayMs?: number
  /** Directory of the on-disk spool used while InfluxDB is unreachable. */
  spoolDir: string
  /** Most points kept in the spool; beyond it the oldest batches are dropped and counted. */
  spoolMaxPoints?: number
  /**
   * Journal queued points in the spool directory (see {@link PointWriter.commit}), so that a killed
   * process loses none of them; off by default.
   */
  journal?: boolean
}

/** Whether InfluxDB takes writes. */
export type InfluxState = 'ok' | 'failing'

export interface PointWriterStats {
  state: InfluxState
  /** Points acknowledged by InfluxDB. */
  written: number
  /** Points waiting in the on-disk spool. */
  spooled: number
  /** Points dropped because the spool was full. */
  droppedSpoolFull: number
  /** Points InfluxDB refused as malformed (HTTP 400/413/422), which retrying cannot fix. */
  refused: number
  /** Failed write requests. */
  failures: number
  /** Lines in memory, not yet sent or spooled. */
  buffered: number
}

import type { ProductType } from '../contract/schemas.js'
import type { ReadingValues } from '../contract/sensor-fields.js'

/** One usable row of a data file: a reading in telemetry units (°C, rpm, Nm, min, %) and its labels. */
export interface DataRecord extends ReadingValues {
  /** Line of the file, for messages. */
  line: number
  machineId: string
  /** Unix ms; from the file's time column, else its UDI or row number times `intervalMs`. */
  ts: number
  /** From the file's seq column, else its UDI − 1 or row number. */
  seq: number
  productType?: ProductType
  /** 1 for a failure, 0 for normal (0 when the file has no label). */
  label: number
  /** Bit i set when failure mode FAILURE_MODES[i] occurred. */
  modes: number
}

export interface DataFileOptions {
  /**
   * Called with each row that cannot be used, which is then skipped. Throw from it to stop reading:
   * the error comes out of {@link DataFile.records}.
   */
  onBad: (line: number, reason: string) => void
  /** Refuse a file without labels (for evaluation). */
  requireLabel?: boolean
  /** Seed of the synthetic humidity for files without a humidity column. */
  humiditySeed?: number
  /** Machine id of the rows of a file without a machine column (AI4I: one machine); default `ai4i`. */
  machineId?: string
  /** Milliseconds between rows of a file without a time column (default 1000: a cycle a second). */
  intervalMs?: number
  /** Called now and then with the bytes read so far. */
  onProgress?: (bytes: number) => void
}

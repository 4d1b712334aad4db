import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { decodeTelemetry } from '@factory-edge/shared'
import { BadRows } from './bad-rows.js'
import { DatasetBuilder, READING_FIELDS, type Dataset } from './dataset.js'
import { DataError } from './errors.js'
import type { LoadOptions } from './load.js'

/**
 * Streams an NDJSON export of `<prefix>/+/telemetry` (one Telemetry message per line, as
 * `mosquitto_sub` prints them) into a Dataset. Each line is validated with the same decoder the
 * detector uses, so training accepts exactly what scoring accepts.
 */
export async function loadNdjson (path: string, options: LoadOptions = {}): Promise<Dataset> {
  const bad = new BadRows(path, options.skipBadRows === true)
  const builder = new DatasetBuilder()
  const values = new Float64Array(READING_FIELDS.length)
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  let line = 0
  let bytes = 0
  let lastReport = 0
  for await (const raw of lines) {
    line++
    bytes += raw.length + 1
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw
    if (text.trim() === '') continue
    const decoded = decodeTelemetry(text, undefined, Math.max(4096, text.length))
    if (!decoded.ok) {
      bad.reject(line, `${decoded.reason}: ${decoded.detail}`)
      continue
    }
    const t = decoded.value
    for (let f = 0; f < READING_FIELDS.length; f++) values[f] = t[READING_FIELDS[f]]
    builder.push(values, builder.machineId(t.machineId), t.ts, 0, 0)
    if (bytes - lastReport > 1 << 20) {
      lastReport = bytes
      options.onProgress?.(bytes)
    }
  }
  if (builder.rows === 0) {
    throw new DataError(`${path} has no usable telemetry lines${bad.count > 0 ? ` (${bad.count} bad lines skipped, first: ${bad.examples[0]})` : ''}`)
  }
  if (options.requireLabel === true) throw new DataError(`${path}: telemetry has no labels to evaluate against; evaluate on a labelled CSV such as AI4I 2020`)
  return builder.build({ source: path, hasLabel: false, syntheticHumidity: false, skipped: bad.summary() })
}

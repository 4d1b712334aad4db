import { open } from 'node:fs/promises'
import { DataError } from '../errors.js'

export type FileFormat = 'csv' | 'ndjson'

export interface Sniffed {
  size: number
  format: FileFormat
}

const HEAD_BYTES = 64 * 1024

/**
 * Looks at the start of a data file and refuses what cannot be a data file (missing, empty, binary,
 * compressed), so that the user gets one clear line instead of a parser's confusion.
 */
export async function sniffDataFile (path: string): Promise<Sniffed> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new DataError(code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path}: ${(err as Error).message}`)
  }
  try {
    const { size } = await handle.stat()
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES))
    if (head.length > 0) await handle.read(head, 0, head.length, 0)
    return { size, format: classify(path, head) }
  } catch (err) {
    if (err instanceof DataError) throw err
    throw new DataError(`cannot read ${path}: ${(err as Error).message}`)
  } finally {
    await handle.close()
  }
}

function classify (path: string, head: Buffer): FileFormat {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) {
    throw new DataError(`${path} is a zip archive, not a CSV file: unpack it first, or use --download`)
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    throw new DataError(`${path} is gzip-compressed: decompress it first (gunzip)`)
  }
  let control = 0
  for (const byte of head) {
    if (byte === 0) throw new DataError(`${path} is a binary file, not CSV or NDJSON text`)
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) control++
  }
  if (control > head.length / 100) throw new DataError(`${path} is a binary file, not CSV or NDJSON text`)
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart()
  if (text.length === 0) throw new DataError(`${path} is empty: expected a CSV header line or NDJSON telemetry`)
  if (text.startsWith('{') || /\.(nd)?jsonl?$/i.test(path)) return 'ndjson'
  return 'csv'
}

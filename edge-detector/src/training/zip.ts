import { crc32 } from 'node:zlib'
import yauzl from 'yauzl'

/** Thrown for an archive that is not a zip file, is truncated, or uses a feature this reader lacks. */
export class ZipError extends Error {
  override name = 'ZipError'
}

export interface ZipEntry {
  name: string
  method: number
  crc32: number
  compressedSize: number
  size: number
  /** Offset of the entry's local header. */
  offset: number
}

/*
 * yauzl reads the archive: it checks every header's signature, the entry sizes while inflating, zip64 and
 * file names. fflate was the first choice (smaller, synchronous) but does not expose an entry's CRC-32, so a
 * damaged stored entry would go through; yauzl exposes it and zlib.crc32 (Node 20.15 or later) checks it.
 */

function openError (err: unknown): ZipError {
  const message = err instanceof Error ? err.message : String(err)
  if (/end of central directory record signature not found/i.test(message)) return new ZipError('not a zip archive (no end of central directory record)')
  return new ZipError(`corrupt zip archive: ${message}`)
}

async function open (zip: Buffer): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.fromBufferPromise(zip, { lazyEntries: true, validateEntrySizes: true })
  } catch (err) {
    throw openError(err)
  }
}

/** Lists the entries of a zip archive held in memory, from its central directory. */
export async function listZip (zip: Buffer): Promise<ZipEntry[]> {
  const archive = await open(zip)
  const entries: ZipEntry[] = []
  try {
    for await (const e of archive.eachEntry()) {
      entries.push({
        name: e.fileName,
        method: e.compressionMethod,
        crc32: e.crc32,
        compressedSize: e.compressedSize,
        size: e.uncompressedSize,
        offset: e.relativeOffsetOfLocalHeader
      })
    }
  } catch (err) {
    throw openError(err)
  }
  return entries
}

async function find (archive: yauzl.ZipFile, entry: ZipEntry): Promise<yauzl.Entry> {
  try {
    for await (const e of archive.eachEntry()) {
      if (e.relativeOffsetOfLocalHeader === entry.offset) return e
    }
  } catch (err) {
    throw openError(err)
  }
  throw new ZipError(`corrupt zip archive: no entry ${entry.name} at offset ${entry.offset}`)
}

/** Unpacks one entry (stored or deflated), checking its size and CRC-32. */
export async function readZipEntry (zip: Buffer, entry: ZipEntry): Promise<Buffer> {
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ZipError(`${entry.name} uses compression method ${entry.method}; only stored and deflated entries are supported`)
  }
  const archive = await open(zip)
  const found = await find(archive, entry)
  let data: Buffer
  try {
    const stream = await archive.openReadStreamPromise(found)
    data = Buffer.concat(await stream.toArray() as Buffer[])
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    // yauzl's own checks of the entry's bytes against its sizes; anything else is zlib failing to inflate.
    if (/bytes in the stream|overflows file bounds/.test(message)) throw new ZipError(`${entry.name} is corrupt (size or CRC-32 mismatch)`)
    if (/signature/.test(message)) throw new ZipError(`corrupt zip archive: bad local header for ${entry.name}`)
    throw new ZipError(`cannot inflate ${entry.name}: ${message}`)
  } finally {
    archive.close()
  }
  if (data.length !== entry.size || crc32(data) !== entry.crc32) throw new ZipError(`${entry.name} is corrupt (size or CRC-32 mismatch)`)
  return data
}

import { inflateRawSync } from 'node:zlib'

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

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50

const CRC_TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

/** CRC-32 (the zip and gzip polynomial) of a buffer. */
export function crc32 (data: Uint8Array): number {
  let c = -1
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

/** Lists the entries of a zip archive held in memory, from its central directory. */
export function listZip (zip: Buffer): ZipEntry[] {
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i
      break
    }
  }
  if (eocd === -1) throw new ZipError('not a zip archive (no end of central directory record)')
  const count = zip.readUInt16LE(eocd + 10)
  let p = zip.readUInt32LE(eocd + 16)
  if (count === 0xffff || p === 0xffffffff) throw new ZipError('zip64 archives are not supported')
  const entries: ZipEntry[] = []
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== CENTRAL) throw new ZipError('corrupt zip archive: bad central directory')
    const nameLength = zip.readUInt16LE(p + 28)
    entries.push({
      method: zip.readUInt16LE(p + 10),
      crc32: zip.readUInt32LE(p + 16),
      compressedSize: zip.readUInt32LE(p + 20),
      size: zip.readUInt32LE(p + 24),
      offset: zip.readUInt32LE(p + 42),
      name: zip.toString('utf8', p + 46, p + 46 + nameLength)
    })
    p += 46 + nameLength + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32)
  }
  return entries
}

/** Unpacks one entry (stored or deflated), checking its size and CRC-32. */
export function readZipEntry (zip: Buffer, entry: ZipEntry): Buffer {
  const p = entry.offset
  if (p + 30 > zip.length || zip.readUInt32LE(p) !== LOCAL) throw new ZipError(`corrupt zip archive: bad local header for ${entry.name}`)
  const start = p + 30 + zip.readUInt16LE(p + 26) + zip.readUInt16LE(p + 28)
  const raw = zip.subarray(start, start + entry.compressedSize)
  if (raw.length !== entry.compressedSize) throw new ZipError(`zip archive is truncated in ${entry.name}`)
  let data: Buffer
  if (entry.method === 0) data = Buffer.from(raw)
  else if (entry.method === 8) {
    try {
      data = inflateRawSync(raw)
    } catch (err) {
      throw new ZipError(`cannot inflate ${entry.name}: ${(err as Error).message}`)
    }
  } else throw new ZipError(`${entry.name} uses compression method ${entry.method}; only stored and deflated entries are supported`)
  if (data.length !== entry.size || crc32(data) !== entry.crc32) throw new ZipError(`${entry.name} is corrupt (size or CRC-32 mismatch)`)
  return data
}

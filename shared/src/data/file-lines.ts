import { open, type FileHandle } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { DataError } from '../errors.js'

/**
 * Bytes read at a time: a batch of lines is what one such chunk completes. Small enough that a batch and
 * what is made of it die in the young generation (the edge-detector command runs with a small one),
 * large enough that a read and a promise per chunk cost nothing (docs/profiles.md, Scoring a file).
 */
const CHUNK_BYTES = 1 << 16

/** The lines that one chunk of a file completed. */
export interface LineBatch {
  lines: string[]
  /** Line number (from 1) of `lines[0]`. */
  firstLine: number
  /** Bytes of the file read so far. */
  bytes: number
}

/** A text file's lines, a chunk at a time. */
export interface FileLines {
  /** The next lines (at least one), or undefined at the end; a file that cannot be read is a DataError. */
  next: () => Promise<LineBatch | undefined>
  close: () => void
}

/**
 * Opens a UTF-8 text file for reading its lines a chunk at a time: the BOM removed, `\n`, `\r\n` or
 * `\r` line ends (the first one found decides), a last line without an end included. One read and one
 * promise per chunk, not per line: the data readers keep up with the disk (Node's readline and stream
 * iterators cost a promise a line).
 */
export function openFileLines (path: string): FileLines {
  const decoder = new StringDecoder('utf8')
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES)
  let handle: FileHandle | undefined
  let closed = false
  let ended = false
  let first = true
  let rest = ''
  let line = 1
  let bytes = 0
  let lineEnd: '\n' | '\r' | undefined

  const fail = (err: unknown): never => {
    throw new DataError(`cannot read ${path}: ${(err as Error).message}`)
  }

  /** The complete lines of `text` (all of them at the end), and the incomplete last one. */
  const split = (text: string, last: boolean): string[] => {
    const lines: string[] = []
    lineEnd ??= lineEndOf(text)
    let start = 0
    if (lineEnd !== undefined) {
      for (let end = text.indexOf(lineEnd, start); end !== -1; end = text.indexOf(lineEnd, start)) {
        lines.push(text.slice(start, lineEnd === '\n' && end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end))
        start = end + 1
      }
    }
    rest = text.slice(start)
    if (last && rest !== '') {
      lines.push(rest.endsWith('\r') ? rest.slice(0, -1) : rest)
      rest = ''
    }
    return lines
  }

  return {
    next: async () => {
      for (;;) {
        if (ended || closed) return undefined
        handle ??= await open(path, 'r').catch(fail)
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null).catch(fail)
        let text = rest + (bytesRead === 0 ? decoder.end() : decoder.write(buffer.subarray(0, bytesRead)))
        bytes += bytesRead
        ended = bytesRead === 0
        if (ended) void handle.close().catch(() => {})
        if (first && text !== '') {
          first = false
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
        }
        const lines = split(text, ended)
        if (lines.length > 0) {
          const batch = { lines, firstLine: line, bytes }
          line += lines.length
          return batch
        }
      }
    },
    close: () => {
      if (!closed && !ended) void handle?.close().catch(() => {})
      closed = true
    }
  }
}

/**
 * The line end of a file from the first one in `text`: `\r` alone (old Mac exports), else `\n` (with or
 * without `\r` before it); undefined when there is none yet.
 */
function lineEndOf (text: string): '\n' | '\r' | undefined {
  const cr = text.indexOf('\r')
  const lf = text.indexOf('\n')
  if (cr !== -1 && (lf === -1 || cr < lf) && text.charCodeAt(cr + 1) !== 10) {
    // A `\r` that ends the text may be the first half of a `\r\n`: the next chunk tells.
    return cr + 1 < text.length ? '\r' : undefined
  }
  return lf !== -1 ? '\n' : undefined
}

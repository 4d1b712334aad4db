import { BufferList } from 'bl'
import type { Client } from 'aedes'

interface ParserHolder { _parser?: { _list?: unknown } }

/**
 * A BufferList that lets go of its chunk array once every byte is consumed. bl appends with `push` and
 * consumes with `shift`: the first append of a packet gives the array room for 17 chunks, which an idle
 * connection kept between packets for as long as it was open. An empty array has no room to keep.
 */
class CompactBufferList extends BufferList {
  override consume (bytes?: number): void {
    super.consume(bytes)
    const self = this as unknown as { _bufs: Buffer[] }
    if (self._bufs.length === 0) self._bufs = []
  }
}

/**
 * aedes gives every client an mqtt-packet parser whose byte buffer is a `bl` BufferListStream: a
 * Duplex stream, with readable and writable state, listener tables and callbacks of its own, although
 * the parser only appends, reads and consumes bytes. A plain BufferList has those same methods without
 * the stream, and is most of a kilobyte smaller for every connected client (docs/scaling.md); this one
 * also drops its chunk array when it is empty (above).
 *
 * Call it on the client aedes.handle() returns, before the connection is read: the buffer is swapped
 * only while it is a `bl` list and still empty. Should aedes or mqtt-packet keep something else there
 * one day, the client keeps what it has (broker/test/idle-footprint.test.ts then fails).
 */
export function plainParserBuffer (client: Client): void {
  const parser = (client as unknown as ParserHolder)._parser
  const list = parser?._list
  if (parser === undefined || !BufferList.isBufferList(list) || (list as { length: number }).length !== 0) return
  parser._list = new CompactBufferList()
}

import { Readable } from 'node:stream'

interface RetainedStore {
  createRetainedStreamCombi: (patterns: string[]) => AsyncIterable<unknown> | NodeJS.ReadableStream
}

const startsWithWildcard = (filter: string): boolean => filter.startsWith('+') || filter.startsWith('#')

/**
 * MQTT-4.7.2-1: a filter starting with a wildcard must not match a topic name starting with `$`. aedes
 * keeps to it for live messages but not for retained ones, so subscribing to `#` handed out the
 * retained `$SYS/broker/…` statistics. The retained messages of such filters are looked up here without
 * `$` topics; the other filters of the same SUBSCRIBE still get theirs, each topic once.
 */
export function noDollarRetainedForWildcards (persistence: unknown): void {
  const store = persistence as RetainedStore
  const combi = store.createRetainedStreamCombi.bind(store)
  store.createRetainedStreamCombi = (patterns) => {
    const wildcard = patterns.filter(startsWithWildcard)
    if (wildcard.length === 0) return combi(patterns)
    const literal = patterns.filter((p) => !startsWithWildcard(p))
    return Readable.from((async function * () {
      const seen = new Set<string>()
      for (const [filters, dollarAllowed] of [[literal, true], [wildcard, false]] as const) {
        if (filters.length === 0) continue
        for await (const packet of combi([...filters]) as AsyncIterable<{ topic: string }>) {
          if ((!dollarAllowed && packet.topic.startsWith('$')) || seen.has(packet.topic)) continue
          seen.add(packet.topic)
          yield packet
        }
      }
    })())
  }
}

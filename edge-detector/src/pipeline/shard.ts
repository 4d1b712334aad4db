/** One detector's share of the machines: `index` of `count`, 1-based as in `--shard 2/3`. */
export interface Shard {
  index: number
  count: number
}

/** Parses `k/n` (1 <= k <= n); throws a RangeError saying what is expected. */
export function parseShard (text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim())
  if (match === null) throw new RangeError(`shard must look like k/n, e.g. 1/3, got ${JSON.stringify(text)}`)
  const index = Number(match[1])
  const count = Number(match[2])
  if (count < 1 || index < 1 || index > count) throw new RangeError(`shard ${text}: k must be from 1 to n and n at least 1`)
  return { index, count }
}

/** 32-bit FNV-1a over the UTF-16 code units of a machine id: stable across processes and platforms. */
export function machineHash (id: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The 1-based shard that handles a machine among `count` shards. */
export function shardOf (id: string, count: number): number {
  return (machineHash(id) % count) + 1
}

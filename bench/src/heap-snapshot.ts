/**
 * Reads V8 heap snapshots (`node --heapsnapshot-signal`, `v8.writeHeapSnapshot`): the self size of the
 * objects that are in one snapshot and not in an earlier one, by constructor. Compiled code is left out:
 * V8 compiles functions the first time a path runs, once, not per object.
 */
import { readFile } from 'node:fs/promises'

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[], node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

interface Nodes { ids: Set<number>, list: Array<{ id: number, key: string, size: number }> }

async function nodes (file: string): Promise<Nodes> {
  const raw = JSON.parse(await readFile(file, 'utf8')) as RawSnapshot
  const fields = raw.snapshot.meta.node_fields
  const types = raw.snapshot.meta.node_types[0]
  const width = fields.length
  const [type, name, id, size] = ['type', 'name', 'id', 'self_size'].map((f) => fields.indexOf(f))
  const ids = new Set<number>()
  const list: Nodes['list'] = []
  for (let i = 0; i < raw.nodes.length; i += width) {
    const kind = types[raw.nodes[i + type]]
    const label = raw.strings[raw.nodes[i + name]]
    // Objects by constructor, closures by function name, V8's internal arrays, strings etc. by kind.
    const key = kind === 'object' || kind === 'native' || kind === 'synthetic' ? label : kind === 'closure' ? `closure ${label}` : `(${kind})`
    ids.add(raw.nodes[i + id])
    list.push({ id: raw.nodes[i + id], key, size: raw.nodes[i + size] })
  }
  return { ids, list }
}

/** Bytes of the objects new in `after`, by constructor (largest first), and their total. */
export async function newObjectsByConstructor (before: string, after: string): Promise<{ total: number, byConstructor: Array<[string, number]> }> {
  const old = (await nodes(before)).ids
  const sums = new Map<string, number>()
  let total = 0
  for (const node of (await nodes(after)).list) {
    if (old.has(node.id) || node.key === '(code)') continue
    total += node.size
    sums.set(node.key, (sums.get(node.key) ?? 0) + node.size)
  }
  return { total, byConstructor: [...sums].sort((a, b) => b[1] - a[1]) }
}

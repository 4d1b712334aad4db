import type { ForestState } from '../forest/index.js'
import { ModelFileError } from '../errors.js'

/**
 * A forest's trees as stored in the model file. Child links are implicit in pre-order, and an external
 * node stores its training-row count (its path length is recomputed on load), so a node costs one or two
 * bytes of structure plus, for a split, its float64 value. Splits stay float64 so that a loaded model
 * makes exactly the comparisons the trained one made.
 */
export interface EncodedForest {
  nFeatures: number
  sampleSize: number
  trees: number
  nodes: number
  /** Pre-order node stream, unsigned LEB128 varints: feature + 1 for a split; 0 then the row count for an external node. Base64. */
  structure: string
  /** Split values of the internal nodes in pre-order, float64 little-endian, base64. */
  splits: string
}

/** Encodes a forest's trees for the model file (deterministic). */
export function encodeForest (state: ForestState): EncodedForest {
  const { feature, value } = state
  const bytes: number[] = []
  let splitCount = 0
  for (let i = 0; i < feature.length; i++) if (feature[i] >= 0) splitCount++
  const splits = new DataView(new ArrayBuffer(splitCount * 8))
  let k = 0
  for (let i = 0; i < feature.length; i++) {
    if (feature[i] >= 0) {
      writeVarint(bytes, feature[i] + 1)
      splits.setFloat64(8 * k++, value[i], true)
    } else {
      writeVarint(bytes, 0)
      writeVarint(bytes, value[i])
    }
  }
  return {
    nFeatures: state.nFeatures,
    sampleSize: state.sampleSize,
    trees: state.roots.length,
    nodes: feature.length,
    structure: Buffer.from(bytes).toString('base64'),
    splits: Buffer.from(splits.buffer).toString('base64')
  }
}

function writeVarint (out: number[], value: number): void {
  let v = value
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
}

function fail (message: string): never {
  throw new ModelFileError(`model file: forest.${message}`)
}

/** Decodes the stored trees; throws ModelFileError when the arrays are truncated or inconsistent. */
export function decodeForest (enc: EncodedForest): Pick<ForestState, 'roots' | 'feature' | 'value'> {
  const structure = Buffer.from(enc.structure, 'base64')
  const splitBytes = Buffer.from(enc.splits, 'base64')
  if (splitBytes.length % 8 !== 0) fail(`splits holds ${splitBytes.length} bytes, not a whole number of float64 values (truncated or corrupt)`)
  const splits = new DataView(splitBytes.buffer, splitBytes.byteOffset, splitBytes.length)
  const nSplits = splitBytes.length / 8
  const roots = new Int32Array(enc.trees)
  const feature = new Int32Array(enc.nodes)
  const value = new Float64Array(enc.nodes)
  let pos = 0
  let node = 0
  let k = 0
  const read = (): number => {
    let result = 0
    let scale = 1
    for (let i = 0; i < 5; i++) {
      if (pos >= structure.length) fail(`structure ends in the middle of tree data after ${structure.length} bytes (truncated or corrupt)`)
      const b = structure[pos++]
      result += (b & 0x7f) * scale
      if (b < 0x80) return result
      scale *= 128
    }
    return fail(`structure has an over-long number at byte ${pos} (corrupt)`)
  }
  for (let t = 0; t < enc.trees; t++) {
    roots[t] = node
    // Pre-order is self-delimiting: a tree ends when no child slot is left open.
    let open = 1
    while (open > 0) {
      if (node >= enc.nodes) fail(`structure holds more than the ${enc.nodes} nodes announced (corrupt)`)
      const code = read()
      if (code === 0) {
        feature[node] = -1
        value[node] = read()
        open--
      } else {
        if (code - 1 >= enc.nFeatures) fail(`structure: node ${node} splits on feature ${code - 1} of ${enc.nFeatures} (corrupt)`)
        if (k >= nSplits) fail(`splits holds ${nSplits} values, more splits are needed (truncated or corrupt)`)
        feature[node] = code - 1
        value[node] = splits.getFloat64(8 * k++, true)
        open++
      }
      node++
    }
  }
  if (node !== enc.nodes) fail(`structure holds ${node} nodes, ${enc.nodes} announced (truncated or corrupt)`)
  if (pos !== structure.length) fail(`structure has ${structure.length - pos} bytes after the last tree (corrupt)`)
  if (k !== nSplits) fail(`splits holds ${nSplits} values but the trees use ${k} (corrupt)`)
  return { roots, feature, value }
}

import { open, readFile, rename, unlink, mkdir } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { IsolationForest, type ForestOptions } from '../forest/index.js'
import { validateFeatureSpec, FeatureSpecError } from '../features/index.js'
import { encodeForest, Model, MODEL_FORMAT, MODEL_FORMAT_VERSION, type EncodedForest, type FeatureSummary } from './model.js'

/** A model file that is missing, corrupt, truncated or of an incompatible format. */
export class ModelFileError extends Error {
  override name = 'ModelFileError'
}

/** Serialises a model to the versioned JSON file format (deterministic for equal models). */
export function serializeModel (model: Model): string {
  const doc = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    version: model.version,
    createdAt: model.createdAt,
    seed: model.options.seed,
    threshold: model.threshold,
    options: model.options,
    featureSpec: model.featureSpec,
    training: { ...model.training, features: model.summary },
    forest: encodeForest(model.forest.state())
  }
  return JSON.stringify(doc, null, 1) + '\n'
}

function fail (message: string): never {
  throw new ModelFileError(message)
}

function field<T> (obj: Record<string, unknown>, name: string, check: (v: unknown) => boolean, what: string): T {
  const v = obj[name]
  if (!check(v)) fail(`model file: "${name}" must be ${what}, got ${JSON.stringify(v)?.slice(0, 60)}`)
  return v as T
}

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0
const isString = (v: unknown): boolean => typeof v === 'string'
const isFiniteNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v)

function decodeArray<T extends Int32Array | Float64Array> (text: string, name: string, length: number, Kind: { new (b: ArrayBuffer): T, BYTES_PER_ELEMENT: number }): T {
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length !== length * Kind.BYTES_PER_ELEMENT) {
    fail(`model file: forest.${name} holds ${bytes.length} bytes, expected ${length * Kind.BYTES_PER_ELEMENT} (truncated or corrupt)`)
  }
  const copy = new ArrayBuffer(bytes.length)
  new Uint8Array(copy).set(bytes)
  return new Kind(copy)
}

/** Parses and fully validates a model file's text; throws ModelFileError naming the problem. */
export function parseModel (text: string): Model {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    fail(`model file is not valid JSON (truncated or corrupt?): ${(err as Error).message}`)
  }
  if (typeof doc !== 'object' || doc === null) fail('model file must contain a JSON object')
  const d = doc as Record<string, unknown>
  if (d.format !== MODEL_FORMAT) fail(`not a factory-edge model file: format is ${JSON.stringify(d.format)}, expected "${MODEL_FORMAT}"`)
  if (d.formatVersion !== MODEL_FORMAT_VERSION) {
    fail(`model file format version ${JSON.stringify(d.formatVersion)} is not supported; this build reads version ${MODEL_FORMAT_VERSION}`)
  }
  const createdAt = field<string>(d, 'createdAt', isString, 'a date string')
  const threshold = field<number>(d, 'threshold', isFiniteNumber, 'a finite number')
  const options = field<Record<string, unknown>>(d, 'options', (v) => typeof v === 'object' && v !== null, 'an object')
  let featureSpec
  try {
    featureSpec = validateFeatureSpec(d.featureSpec)
  } catch (err) {
    if (err instanceof FeatureSpecError) fail(`model file: ${err.message}`)
    throw err
  }
  const training = field<Record<string, unknown>>(d, 'training', (v) => typeof v === 'object' && v !== null, 'an object')
  const forest = field<Record<string, unknown>>(d, 'forest', (v) => typeof v === 'object' && v !== null, 'an object')
  const enc = forest as unknown as EncodedForest
  for (const name of ['nFeatures', 'sampleSize', 'nodes'] as const) field(forest, name, isInt, 'a non-negative integer')
  for (const name of ['roots', 'feature', 'value', 'left'] as const) field(forest, name, isString, 'a base64 string')
  if (enc.nFeatures !== featureSpec.features.length) {
    fail(`model file: forest has ${enc.nFeatures} features but featureSpec names ${featureSpec.features.length}`)
  }
  const nTrees = field<number>(options, 'nEstimators', isInt, 'a non-negative integer')
  const roots = decodeArray(enc.roots, 'roots', nTrees, Int32Array)
  const feature = decodeArray(enc.feature, 'feature', enc.nodes, Int32Array)
  const value = decodeArray(enc.value, 'value', enc.nodes, Float64Array)
  const left = decodeArray(enc.left, 'left', enc.nodes, Int32Array)
  checkTrees(roots, feature, value, left, enc.nFeatures)
  const summary = Array.isArray(training.features) ? training.features as FeatureSummary[] : []
  const model = new Model(
    new IsolationForest({ nFeatures: enc.nFeatures, sampleSize: enc.sampleSize, threshold, options: options as unknown as ForestOptions, roots, feature, value, left }),
    featureSpec,
    summary,
    { rows: typeof training.rows === 'number' ? training.rows : 0, source: typeof training.source === 'string' ? training.source : 'unknown' },
    createdAt
  )
  if (typeof d.version === 'string' && d.version !== model.version) {
    fail(`model file content does not match its version ${d.version} (computed ${model.version}): the file was altered or is corrupt`)
  }
  return model
}

/** Every child index must point forward inside the array, so that scoring can never loop or read out of bounds. */
function checkTrees (roots: Int32Array, feature: Int32Array, value: Float64Array, left: Int32Array, nFeatures: number): void {
  const n = feature.length
  for (const r of roots) if (r < 0 || r >= n) fail(`model file: tree root ${r} is outside the ${n} nodes`)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(value[i])) fail(`model file: node ${i} has a non-finite value`)
    if (feature[i] < 0) continue
    if (feature[i] >= nFeatures) fail(`model file: node ${i} splits on feature ${feature[i]} of ${nFeatures}`)
    if (left[i] <= i || left[i] + 1 >= n) fail(`model file: node ${i} has invalid children ${left[i]}`)
  }
}

/** Writes a file atomically: a temporary file in the same directory, fsync, then rename. */
export async function writeFileAtomic (path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
}

/** Saves a model atomically. */
export async function saveModel (path: string, model: Model): Promise<void> {
  await writeFileAtomic(path, serializeModel(model))
}

/** Loads and validates a model file; throws ModelFileError naming the file and the problem. */
export async function loadModel (path: string): Promise<Model> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ModelFileError(code === 'ENOENT' ? `model file ${path} does not exist` : `cannot read model file ${path}: ${(err as Error).message}`)
  }
  try {
    return parseModel(text)
  } catch (err) {
    if (err instanceof ModelFileError) throw new ModelFileError(`${path}: ${err.message}`)
    throw err
  }
}

import { open, readFile, rename, unlink, mkdir } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { IsolationForest, ForestInputError, type ForestOptions, type LayoutMode } from '../forest/index.js'
import { validateFeatureSpec, FeatureSpecError, type FeatureSpec } from '../features/index.js'
import { Model, MODEL_FORMAT, MODEL_FORMAT_VERSION, type FeatureCatalog, type FeatureSummary, type TrainingInfo } from './model.js'
import { decodeForest, encodeForest, type EncodedForest } from './forest-codec.js'
import { ModelFileError } from '../errors.js'

/** A model as the JSON object of the versioned model file format (deterministic for equal models). */
export function modelDocument (model: Model): Record<string, unknown> {
  return {
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
}

/** Serialises a model to the versioned JSON file format (deterministic for equal models). */
export function serializeModel (model: Model): string {
  return JSON.stringify(modelDocument(model), null, 1) + '\n'
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

/**
 * Parses and fully validates a model file's text; throws ModelFileError naming the problem. Feature names
 * are checked against `catalog` (AI4I's signals by default, a sensor profile's catalog for its models);
 * `layout` is the forest's memory layout (see LayoutMode).
 */
export function parseModel (text: string, catalog?: FeatureCatalog, layout?: LayoutMode): Model {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    fail(`model file is not valid JSON (truncated or corrupt?): ${(err as Error).message}`)
  }
  return modelFromDocument(doc, catalog, layout)
}

/** Validates a parsed model file object (see {@link modelDocument}) and builds the model; throws ModelFileError. */
export function modelFromDocument (doc: unknown, catalog?: FeatureCatalog, layout?: LayoutMode): Model {
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
    featureSpec = validateFeatureSpec(d.featureSpec, catalog)
  } catch (err) {
    if (err instanceof FeatureSpecError) fail(`model file: ${err.message}`)
    throw err
  }
  const training = field<Record<string, unknown>>(d, 'training', (v) => typeof v === 'object' && v !== null, 'an object')
  const forest = field<Record<string, unknown>>(d, 'forest', (v) => typeof v === 'object' && v !== null, 'an object')
  const enc = forest as unknown as EncodedForest
  for (const name of ['nFeatures', 'sampleSize', 'trees', 'nodes'] as const) field(forest, name, isInt, 'a non-negative integer')
  for (const name of ['structure', 'splits'] as const) field(forest, name, isString, 'a base64 string')
  if (enc.nFeatures !== featureSpec.features.length) {
    fail(`model file: forest has ${enc.nFeatures} features but featureSpec names ${featureSpec.features.length}`)
  }
  const trees = decodeForest(enc)
  let forestModel: IsolationForest
  try {
    forestModel = new IsolationForest({ nFeatures: enc.nFeatures, sampleSize: enc.sampleSize, threshold, options: options as unknown as ForestOptions, ...trees }, layout)
  } catch (err) {
    if (err instanceof ForestInputError) fail(`model file: invalid forest: ${err.message}`)
    throw err
  }
  const rows = field<number>(training, 'rows', isInt, 'a non-negative integer')
  const source = field<string>(training, 'source', isString, 'a string')
  const info: TrainingInfo = { rows, source }
  if (training.dropped !== undefined) info.dropped = field<number>(training, 'dropped', isInt, 'a non-negative integer')
  if (training.trimmed !== undefined) info.trimmed = field<number>(training, 'trimmed', isInt, 'a non-negative integer')
  const model = new Model(forestModel, featureSpec, checkSummary(training.features, featureSpec), info, createdAt)
  const version = field<string>(d, 'version', isString, 'a string')
  if (version !== model.version) {
    fail(`model file content does not match its version ${version} (computed ${model.version}): the file was altered or is corrupt`)
  }
  return model
}

/** The training summary must describe exactly the model's features, with finite statistics. */
function checkSummary (value: unknown, spec: FeatureSpec): FeatureSummary[] {
  if (!Array.isArray(value) || value.length !== spec.features.length) {
    fail(`model file: "training.features" must list the ${spec.features.length} features of featureSpec`)
  }
  return value.map((entry: unknown, i) => {
    const s = typeof entry === 'object' && entry !== null ? entry as Record<string, unknown> : fail(`model file: training.features[${i}] must be an object`)
    if (s.name !== spec.features[i]) fail(`model file: training.features[${i}] describes ${JSON.stringify(s.name)}, featureSpec names "${spec.features[i]}"`)
    for (const key of ['mean', 'std', 'min', 'max'] as const) field(s, key, isFiniteNumber, `a finite number in training.features[${i}]`)
    for (const key of ['unit', 'description'] as const) field(s, key, isString, `a string in training.features[${i}]`)
    return { name: s.name as string, unit: s.unit as string, description: s.description as string, mean: s.mean as number, std: s.std as number, min: s.min as number, max: s.max as number }
  })
}

let tmpCounter = 0

/** Writes a file atomically: a temporary file in the same directory, fsync, then rename over the target. */
export async function writeFileAtomic (path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCounter++}.tmp`)
  try {
    const handle = await open(tmp, 'w')
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
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

/** Loads and validates a model file; throws ModelFileError naming the file and the problem. `catalog` as for {@link parseModel}. */
export async function loadModel (path: string, catalog?: FeatureCatalog): Promise<Model> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ModelFileError(code === 'ENOENT' ? `model file ${path} does not exist` : `cannot read model file ${path}: ${(err as Error).message}`)
  }
  try {
    return parseModel(text, catalog)
  } catch (err) {
    if (err instanceof ModelFileError) throw new ModelFileError(`${path}: ${err.message}`)
    throw err
  }
}

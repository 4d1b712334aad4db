/**
 * The persisted baselines of self-learning machines: one versioned file per machine and profile,
 * `<modelsDir>/baselines/<profile>/<machineId>.json`, written atomically. The file holds the machine id,
 * the profile name and the model in the model file format (shared/src/model/model-file.ts), so that a
 * file copied to the wrong place, left from an older build or learned under a changed profile is refused
 * with a BaselineFileError saying which, and the machine learns again.
 */
import { readFileSync } from 'node:fs'
import { readdir, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { MACHINE_ID_PATTERN } from '@factory-edge/shared/contract'
import {
  MODEL_FORMAT, MODEL_FORMAT_VERSION, ModelFileError, modelDocument, modelFromDocument, validateFeatureSpec, writeFileAtomic,
  type FeatureCatalog, type FeatureSpec, type Model
} from '@factory-edge/shared/ml'
import { SIGNAL_NAME_PATTERN } from '@factory-edge/shared/profiles'
import { BaselineFileError, type BaselineProblem } from '../errors.js'
import type { BaselineProfile } from './learner.js'
import { BaselineResetWatcher, writeResetRequest, type ResetWatcherOptions } from './reset-requests.js'

export const BASELINE_FORMAT = 'factory-edge/baseline'
export const BASELINE_FORMAT_VERSION = 1
/** Subdirectory of the models directory that holds the baselines. */
export const BASELINES_DIR = 'baselines'

/** What loading needs of the machine's profile (a `SensorProfile` is one): its name, signals and features. */
export interface StoreProfile extends BaselineProfile {
  readonly features: FeatureSpec
}

/** A baseline file as listed: where it is, without reading it. */
export interface BaselineEntry {
  machineId: string
  profile: string
  path: string
  bytes: number
  modifiedAt: Date
}

/** A baseline file as read, checked as a file but not against a profile (for `baseline show`). */
export interface StoredBaseline extends BaselineEntry {
  model: Model
}

const machineIdRegExp = new RegExp(MACHINE_ID_PATTERN)

/** Throws a RangeError for a machine id or profile name that could not be a file name of the store. */
export function checkBaselineKey (machineId: string, profile?: string): void {
  if (!machineIdRegExp.test(machineId)) throw new RangeError(`${JSON.stringify(machineId)} is not a machine id (${MACHINE_ID_PATTERN})`)
  if (profile !== undefined && !SIGNAL_NAME_PATTERN.test(profile)) throw new RangeError(`${JSON.stringify(profile)} is not a profile name`)
}

export class BaselineStore {
  /** `<modelsDir>/baselines`. */
  readonly dir: string

  constructor (readonly modelsDir: string) {
    this.dir = join(modelsDir, BASELINES_DIR)
  }

  /** Where a machine's baseline under a profile is kept. */
  pathOf (machineId: string, profile: string): string {
    checkBaselineKey(machineId, profile)
    return join(this.dir, profile, `${machineId}.json`)
  }

  /** Persists a machine's baseline atomically (temporary file, fsync, rename): a reader sees the old file or the new one, never part of one. */
  async save (machineId: string, profile: Pick<BaselineProfile, 'name'>, model: Model): Promise<string> {
    const path = this.pathOf(machineId, profile.name)
    await writeFileAtomic(path, serializeBaseline(machineId, profile.name, model))
    return path
  }

  /**
   * The machine's persisted baseline, checked against its profile now; undefined when it has none.
   * Throws BaselineFileError (`problem` says which) for a file that cannot be used: the caller counts it
   * and lets the machine learn again (saving the new baseline replaces the file).
   */
  async load (machineId: string, profile: StoreProfile): Promise<Model | undefined> {
    const stored = await this.read(machineId, profile.name)
    return stored === undefined ? undefined : checkedAgainst(stored.model, profile, stored.path)
  }

  /**
   * {@link load}, synchronously: for the detector's pipeline, which takes a machine's baseline when the
   * machine is first seen (or comes back after an eviction), one small file at a time, between two
   * messages, so that no reading of that machine is scored before its baseline is in place.
   */
  loadSync (machineId: string, profile: StoreProfile): Model | undefined {
    const path = this.pathOf(machineId, profile.name)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new BaselineFileError(`${path}: cannot read the baseline: ${(err as Error).message}`, 'corrupt', path)
    }
    return checkedAgainst(parseBaseline(text, machineId, profile.name, path), profile, path)
  }

  /** Reads and checks a baseline file without a profile (any signal names); undefined when there is none. */
  async read (machineId: string, profile: string): Promise<StoredBaseline | undefined> {
    const path = this.pathOf(machineId, profile)
    let text: string
    let info
    try {
      [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new BaselineFileError(`${path}: cannot read the baseline: ${(err as Error).message}`, 'corrupt', path)
    }
    const model = parseBaseline(text, machineId, profile, path)
    return { machineId, profile, path, bytes: info.size, modifiedAt: info.mtime, model }
  }

  /**
   * Removes a machine's baseline (one profile's, or every profile's) and, unless `notify` is false, writes
   * a reset request that running detectors notice (see {@link watchResets}). Returns the files removed.
   */
  async reset (machineId: string, profile?: string, options: { notify?: boolean } = {}): Promise<string[]> {
    checkBaselineKey(machineId, profile)
    const profiles = profile === undefined ? await this.profiles() : [profile]
    const removed: string[] = []
    for (const p of profiles) {
      const path = this.pathOf(machineId, p)
      try {
        await unlink(path)
        removed.push(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    if (options.notify !== false) await writeResetRequest(this.dir, { machineId, profile, requestedAt: Date.now() })
    return removed
  }

  /** Every baseline file, by profile then machine id. */
  async list (): Promise<BaselineEntry[]> {
    const entries: BaselineEntry[] = []
    for (const profile of await this.profiles()) {
      const names = (await readdir(join(this.dir, profile)).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()
      const found = await Promise.all(names.map(async (name) => {
        const path = join(this.dir, profile, name)
        const info = await stat(path).catch(() => undefined)
        return info === undefined ? undefined : { machineId: name.slice(0, -'.json'.length), profile, path, bytes: info.size, modifiedAt: info.mtime }
      }))
      for (const e of found) if (e !== undefined) entries.push(e)
    }
    return entries
  }

  /** A watcher of the reset requests made by other processes (not started). */
  watchResets (options?: ResetWatcherOptions): BaselineResetWatcher {
    return new BaselineResetWatcher(this.dir, options)
  }

  /** Profile directories present, sorted. */
  private async profiles (): Promise<string[]> {
    try {
      const dirents = await readdir(this.dir, { withFileTypes: true })
      return dirents.filter((d) => d.isDirectory() && SIGNAL_NAME_PATTERN.test(d.name)).map((d) => d.name).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
  }
}

/** A baseline as read, if its features are still those its profile computes (a profile edited since is refused). */
function checkedAgainst (model: Model, profile: StoreProfile, path: string): Model {
  const wanted = validateFeatureSpec(profile.features, profile.catalog)
  if (!isDeepStrictEqual(model.featureSpec, wanted)) {
    throw new BaselineFileError(`${path}: learned with features ${describeSpec(model.featureSpec)}, profile ${profile.name} now computes ${describeSpec(wanted)}`, 'features', path)
  }
  return model
}

/** The text of a baseline file: one line of JSON (deterministic for equal models). */
export function serializeBaseline (machineId: string, profile: string, model: Model): string {
  return JSON.stringify({ format: BASELINE_FORMAT, formatVersion: BASELINE_FORMAT_VERSION, machineId, profile, model: modelDocument(model) }) + '\n'
}

/** Parses a baseline file for `machineId` under `profile`; throws BaselineFileError naming `path` and the problem. */
export function parseBaseline (text: string, machineId: string, profile: string, path: string): Model {
  const fail = (problem: BaselineProblem, message: string): never => { throw new BaselineFileError(`${path}: ${message}`, problem, path) }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return fail('corrupt', `not valid JSON (truncated or corrupt?): ${(err as Error).message}`)
  }
  const d = (typeof doc === 'object' && doc !== null ? doc : fail('corrupt', 'must contain a JSON object')) as Record<string, unknown>
  if (d.format !== BASELINE_FORMAT) fail('corrupt', `not a baseline file: format is ${JSON.stringify(d.format)}, expected "${BASELINE_FORMAT}"`)
  if (d.formatVersion !== BASELINE_FORMAT_VERSION) fail('version', `baseline format version ${JSON.stringify(d.formatVersion)} is not supported; this build reads version ${BASELINE_FORMAT_VERSION}`)
  if (d.machineId !== machineId) fail('machine', `holds the baseline of machine ${JSON.stringify(d.machineId)}, not of ${machineId}`)
  if (d.profile !== profile) fail('profile', `was learned under profile ${JSON.stringify(d.profile)}, not ${profile}`)
  const m = (typeof d.model === 'object' && d.model !== null ? d.model : fail('corrupt', '"model" must be an object')) as Record<string, unknown>
  if (m.format === MODEL_FORMAT && m.formatVersion !== MODEL_FORMAT_VERSION) {
    fail('version', `model format version ${JSON.stringify(m.formatVersion)} is not supported; this build reads version ${MODEL_FORMAT_VERSION}`)
  }
  try {
    // Compact: a detector holds one baseline per machine, thousands of them (see docs/self-learning.md).
    return modelFromDocument(m, catalogOfFile(m.featureSpec), 'compact')
  } catch (err) {
    if (err instanceof ModelFileError) return fail('corrupt', err.message)
    throw err
  }
}

/**
 * The signals a file's features name, as a catalog: the file is checked as a file here, and against the
 * profile's features by {@link BaselineStore.load}.
 */
function catalogOfFile (spec: unknown): FeatureCatalog {
  const features = typeof spec === 'object' && spec !== null ? (spec as { features?: unknown }).features : undefined
  // No prototype: a signal named like an Object property is still just a name.
  const catalog: Record<string, { unit: string, description: string }> = Object.create(null)
  if (Array.isArray(features)) {
    for (const f of features) if (typeof f === 'string') catalog[f.split('.')[0]] = { unit: '', description: '' }
  }
  return catalog
}

function describeSpec (spec: FeatureSpec): string {
  return `[${spec.features.join(', ')}] over ${spec.window} readings${spec.windowMs === undefined ? '' : ` / ${spec.windowMs} ms`}`
}

/**
 * Reading a profiles file (YAML, or JSON when it ends in .json; YAML also reads JSON) into the set of
 * compiled profiles, and the set that runs without one (the built-in ai4i profile).
 */
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { ProfileError } from '../errors.js'
import { BUILT_IN_PROFILES } from './builtin.js'
import { checkMapping, checkProfile, ProfileLocation } from './definition.js'
import { SensorProfile } from './sensor-profile.js'

/** The profiles in force, in match order. */
export class ProfileSet {
  constructor (readonly profiles: readonly SensorProfile[], readonly source: string) {}

  /** The first profile whose machine globs match the id, or undefined (the caller rejects the reading with its own reason). */
  profileFor (machineId: string): SensorProfile | undefined {
    for (let i = 0; i < this.profiles.length; i++) if (this.profiles[i].covers(machineId)) return this.profiles[i]
    return undefined
  }

  /** The profile of that name, or undefined. */
  byName (name: string): SensorProfile | undefined {
    return this.profiles.find((p) => p.name === name)
  }
}

/** The built-in profiles: what runs when no profiles file is given. */
export function builtInProfiles (): ProfileSet {
  return new ProfileSet([...BUILT_IN_PROFILES.values()].map((d) => new SensorProfile(d)), 'built-in')
}

/** Validates the parsed content of a profiles file (`file` names it in errors) and compiles its profiles. */
export function profilesFromValue (value: unknown, file: string): ProfileSet {
  const top = checkMapping(value, new ProfileLocation(file, undefined), ['profiles'], 'a profiles file (a mapping with the key "profiles")')
  const at = new ProfileLocation(file, undefined, 'profiles')
  const entries = top.profiles
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries) || Object.keys(entries).length === 0) {
    throw at.error('must be a mapping of profile name to profile, with at least one profile')
  }
  return new ProfileSet(Object.entries(entries).map(([name, raw]) => new SensorProfile(checkProfile(name, raw, file, BUILT_IN_PROFILES))), file)
}

/**
 * Loads a profiles file, or the built-in profiles when `file` is undefined. Every problem is one
 * ProfileError (exit code 2) naming the file, the profile and the key.
 */
export function loadProfiles (file?: string): ProfileSet {
  if (file === undefined) return builtInProfiles()
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ProfileError(`${file}: cannot read the profiles file: ${(err as Error).message}`)
  }
  let value: unknown
  try {
    value = file.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    const kind = file.toLowerCase().endsWith('.json') ? 'JSON' : 'YAML'
    throw new ProfileError(`${file}: not valid ${kind}: ${(err as Error).message.split('\n')[0]}`)
  }
  return profilesFromValue(value, file)
}

import { resolve } from 'node:path'
import type { ProfileSet } from '@factory-edge/shared/profiles'

/** True when a profile is scored by the detector's own model (`--model`): a model policy without a file. */
export function usesDetectorModel (profiles: ProfileSet): boolean {
  return profiles.profiles.some((p) => p.definition.model.kind === 'file' && p.definition.model.file === undefined)
}

/** The model files profiles name, by profile name, relative to the working directory (as `--model` is). */
export function profileModelPaths (profiles: ProfileSet): Map<string, string> {
  const paths = new Map<string, string>()
  for (const p of profiles.profiles) {
    const policy = p.definition.model
    if (policy.kind === 'file' && policy.file !== undefined) paths.set(p.name, resolve(policy.file))
  }
  return paths
}

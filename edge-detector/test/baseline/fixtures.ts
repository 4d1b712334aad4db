import { fileURLToPath } from 'node:url'
import { loadProfiles, type SensorProfile } from '@factory-edge/shared/profiles'

/** The shipped example profiles file: its `pump` profile learns a baseline per machine. */
export const EXAMPLE_PROFILES = fileURLToPath(new URL('../../../../config/profiles.example.yaml', import.meta.url))

export function pumpProfile (): SensorProfile {
  const profile = loadProfiles(EXAMPLE_PROFILES).byName('pump')
  if (profile === undefined) throw new Error(`${EXAMPLE_PROFILES} has no pump profile`)
  return profile
}

/**
 * Header matching: the column names of AI4I 2020 (UCI and Kaggle), their variants found in the wild
 * (underscores, units dropped, any case) and this system's own telemetry exports all map to the same
 * fields.
 */
import type { SensorField } from '../contract/sensor-fields.js'

/** What a column of a data file holds. */
export type ColumnRole =
  | SensorField
  | 'label' | 'failureType' | 'TWF' | 'HDF' | 'PWF' | 'OSF' | 'RNF' | 'machineId' | 'ts' | 'seq' | 'udi' | 'productType'

/** Accepted names per role, normalised (lower case, letters and digits only, unit removed). */
const ALIASES: Record<ColumnRole, readonly string[]> = {
  temperature: ['processtemperature', 'processtemp', 'temperature'],
  airTemperature: ['airtemperature', 'airtemp'],
  rpm: ['rotationalspeed', 'rotationspeed', 'rpm', 'speed'],
  torque: ['torque'],
  toolWear: ['toolwear'],
  humidity: ['humidity', 'relativehumidity'],
  label: ['machinefailure', 'target', 'failure', 'label'],
  failureType: ['failuretype'],
  TWF: ['twf'],
  HDF: ['hdf'],
  PWF: ['pwf'],
  OSF: ['osf'],
  RNF: ['rnf'],
  machineId: ['machineid', 'machine'],
  ts: ['ts', 'timestamp', 'time'],
  seq: ['seq', 'sequence'],
  // AI4I numbers its process cycles: the UDI gives the time and sequence of a row.
  udi: ['udi'],
  productType: ['type', 'producttype']
}

/** Unit suffixes that may be glued to a name once brackets are gone, e.g. `air_temperature_k`. */
const UNIT_SUFFIXES = ['kelvin', 'celsius', 'degc', 'rpm', 'min', 'nm', 'k', 'c']

export interface ColumnMatch {
  index: number
  header: string
  /** For temperatures: true for Kelvin, false for Celsius, undefined when the header does not say. */
  kelvin?: boolean
}

function normalise (text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '')
}

/** Splits `Air temperature [K]` into name and unit; the unit may be bracketed or parenthesised. */
function splitUnit (header: string): { name: string, unit: string | undefined } {
  const m = /^(.*?)\s*[[(]\s*([^\])]*)\s*[\])]\s*$/.exec(header.replace(/^\uFEFF/, '').trim())
  if (m === null) return { name: header.replace(/^\uFEFF/, '').trim(), unit: undefined }
  return { name: m[1], unit: m[2] }
}

function unitIsKelvin (unit: string): boolean | undefined {
  const u = normalise(unit)
  if (u === 'k' || u === 'kelvin') return true
  if (u === 'c' || u === 'degc' || u === 'celsius' || unit.includes('°')) return false
  return undefined
}

function roleOf (name: string): { role: ColumnRole, unit?: string } | undefined {
  for (const [role, aliases] of Object.entries(ALIASES) as Array<[ColumnRole, readonly string[]]>) {
    if (aliases.includes(name)) return { role }
  }
  for (const suffix of UNIT_SUFFIXES) {
    if (name.length > suffix.length && name.endsWith(suffix)) {
      const found = roleOf(name.slice(0, -suffix.length))
      if (found !== undefined) return { role: found.role, unit: suffix }
    }
  }
  return undefined
}

/** Maps each recognised column to its role; the first column claiming a role wins. */
export function matchColumns (headers: readonly string[]): Partial<Record<ColumnRole, ColumnMatch>> {
  const out: Partial<Record<ColumnRole, ColumnMatch>> = {}
  headers.forEach((header, index) => {
    const { name, unit } = splitUnit(header)
    const found = roleOf(normalise(name))
    if (found === undefined || out[found.role] !== undefined) return
    const unitText = unit ?? found.unit
    out[found.role] = { index, header, kelvin: unitText === undefined ? undefined : unitIsKelvin(unitText) }
  })
  return out
}

/** Readings every file must have (humidity is synthesised when absent). */
export const REQUIRED_ROLES = ['airTemperature', 'temperature', 'rpm', 'torque', 'toolWear'] as const

/** Names a missing role the way a user would look for it in the file. */
export const ROLE_LABELS: Record<ColumnRole, string> = {
  temperature: 'Process temperature [K] (or temperature in °C)',
  airTemperature: 'Air temperature [K] (or airTemperature in °C)',
  rpm: 'Rotational speed [rpm]',
  torque: 'Torque [Nm]',
  toolWear: 'Tool wear [min]',
  humidity: 'humidity',
  label: 'Machine failure (or Target)',
  failureType: 'Failure Type',
  TWF: 'TWF',
  HDF: 'HDF',
  PWF: 'PWF',
  OSF: 'OSF',
  RNF: 'RNF',
  machineId: 'machineId',
  ts: 'ts',
  seq: 'seq',
  udi: 'UDI',
  productType: 'Type'
}

import { isMachineId } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { SimulatedMachine, type MachineOptions } from './machine.js'

/** The ids of a fleet: `machine-1` … `machine-N` for a count, or the given ids, validated. */
export function machineIds (machines: number | readonly string[]): string[] {
  if (typeof machines === 'number') {
    if (!Number.isInteger(machines) || machines < 1) throw new RangeError(`machines must be an integer >= 1, got ${machines}`)
    return Array.from({ length: machines }, (_, i) => `machine-${i + 1}`)
  }
  if (machines.length === 0) throw new RangeError('at least one machine id is needed')
  const seen = new Set<string>()
  for (const id of machines) {
    if (!isMachineId(id)) throw new RangeError(`invalid machine id ${JSON.stringify(id)}: letters, digits, '-', '_' and '.', at most 64 characters`)
    if (seen.has(id)) throw new RangeError(`duplicate machine id ${JSON.stringify(id)}`)
    seen.add(id)
  }
  return [...machines]
}

/** Creates the machines of a fleet; machine i's streams depend only on the seed and i. */
export function createMachines (ids: readonly string[], seed: number, options: MachineOptions): SimulatedMachine[] {
  const root = new Random(seed)
  return ids.map((id, i) => new SimulatedMachine(id, root.fork(2 * i), root.fork(2 * i + 1), options))
}

/** Chance per reading of a random injection, from a rate per machine-hour. */
export function perReadingProbability (ratePerHour: number, rateHz: number): number {
  if (!(ratePerHour >= 0)) throw new RangeError(`an injection rate must be >= 0 per machine-hour, got ${ratePerHour}`)
  return Math.min(1, ratePerHour / (3600 * rateHz))
}

/** Timestamp of reading `cycle` of machine `index` of `count`: machines are spread evenly over the period. */
export function readingTime (startTs: number, intervalMs: number, cycle: number, index: number, count: number): number {
  return startTs + Math.round((cycle + index / count) * intervalMs)
}

import { isMachineId } from '@factory-edge/shared/contract'
import { Random } from '@factory-edge/shared/ml'
import { SimulatedMachine } from './machine.js'
import type { MachineBase, MachineOptions } from './machine-base.js'
import { KIND_ID_PREFIX, membersOfParts, type FleetMember, type FleetPart, type MachineKind } from './kind.js'
import { PumpMachine } from './pump-machine.js'

/** The ids of a fleet: `machine-1` … `machine-N` (`pump-1` … for pumps) for a count, or the given ids, validated. */
export function machineIds (machines: number | readonly string[], kind: MachineKind = 'ai4i'): string[] {
  if (typeof machines === 'number') {
    if (!Number.isInteger(machines) || machines < 1) throw new RangeError(`machines must be an integer >= 1, got ${machines}`)
    return Array.from({ length: machines }, (_, i) => `${KIND_ID_PREFIX[kind]}-${i + 1}`)
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

/** The machines of a fleet: a count or ids, all of `kind`, or a mixed fleet given by `parts` (which then replace the count). */
export function fleetMembers (machines: number | readonly string[], kind: MachineKind = 'ai4i', parts?: readonly FleetPart[]): FleetMember[] {
  if (parts !== undefined) return membersOfParts(parts)
  return machineIds(machines, kind).map((id) => ({ id, kind }))
}

/** Creates the machines of a fleet; machine i's streams depend only on the seed and i. */
export function createMachines (members: readonly FleetMember[], seed: number, options: MachineOptions | ((kind: MachineKind) => MachineOptions)): MachineBase[] {
  const root = new Random(seed)
  const optionsOf = typeof options === 'function' ? options : () => options
  return members.map(({ id, kind }, i) => kind === 'pump'
    ? new PumpMachine(id, root.fork(2 * i), root.fork(2 * i + 1), optionsOf(kind))
    : new SimulatedMachine(id, root.fork(2 * i), root.fork(2 * i + 1), optionsOf(kind)))
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

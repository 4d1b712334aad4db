/** The kinds of machine the simulator runs, and the machine ids of each. */
export const MACHINE_KINDS = ['ai4i', 'pump'] as const
export type MachineKind = typeof MACHINE_KINDS[number]

/** True when `text` names a kind of machine. */
export function isMachineKind (text: string): text is MachineKind {
  return (MACHINE_KINDS as readonly string[]).includes(text)
}

/** Machine ids of a kind are `<prefix>-1`, `<prefix>-2`, …: AI4I machines stay `machine-N`, pumps are `pump-N`. */
export const KIND_ID_PREFIX: Readonly<Record<MachineKind, string>> = { ai4i: 'machine', pump: 'pump' }

/** How many machines of one kind a fleet has. */
export interface FleetPart {
  kind: MachineKind
  count: number
}

/** One machine of a fleet. */
export interface FleetMember {
  id: string
  kind: MachineKind
}

/** Parses `ai4i:5,pump:5` (or its comma-separated parts) into fleet parts; a bare kind counts 1. */
export function parseKinds (parts: readonly string[]): FleetPart[] {
  const out: FleetPart[] = []
  const seen = new Set<MachineKind>()
  for (const part of parts.flatMap((p) => p.split(','))) {
    const m = /^\s*([a-z0-9]+)(?::(\d+))?\s*$/i.exec(part)
    const kind = m?.[1].toLowerCase()
    if (m === null || kind === undefined || !isMachineKind(kind)) throw new RangeError(`${JSON.stringify(part)} is not kind:count with a kind of ${MACHINE_KINDS.join(', ')}, e.g. ai4i:5,pump:5`)
    const count = m[2] === undefined ? 1 : Number(m[2])
    if (count < 1) throw new RangeError(`${JSON.stringify(part)}: the count must be at least 1`)
    if (seen.has(kind)) throw new RangeError(`${kind} is given twice`)
    seen.add(kind)
    out.push({ kind, count })
  }
  if (out.length === 0) throw new RangeError('no kind given, e.g. ai4i:5,pump:5')
  return out
}

/** The members of a fleet given as parts: `machine-1` … for AI4I, `pump-1` … for pumps, in the order of the parts. */
export function membersOfParts (parts: readonly FleetPart[]): FleetMember[] {
  return parts.flatMap(({ kind, count }) => Array.from({ length: count }, (_, i) => ({ id: `${KIND_ID_PREFIX[kind]}-${i + 1}`, kind })))
}

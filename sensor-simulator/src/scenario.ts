import { readFileSync } from 'node:fs'
import { isFailureMode, type FailureMode } from './physics/ai4i.js'
import { isSensorFaultMode, type SensorFaultMode } from './failures/sensor-fault.js'
import { isPumpFailureMode, PUMP_FAILURE_MODES, type PumpFailureMode } from './failures/pump-failure.js'
import { ScenarioError } from './errors.js'

/** Everyday names for the AI4I failure modes, accepted wherever a mode is. */
export const FAILURE_ALIASES: Readonly<Record<string, FailureMode>> = {
  overheat: 'HDF',
  'heat-dissipation': 'HDF',
  power: 'PWF',
  overload: 'PWF',
  overstrain: 'OSF',
  'tool-wear': 'TWF',
  toolwear: 'TWF',
  random: 'RNF'
}

/** What can be injected into a machine. */
export type InjectionMode = FailureMode | PumpFailureMode | SensorFaultMode

/** One scripted injection: `mode` hits `machineId` at `atMs` after the start, for `durationMs` (sensor faults). */
export interface Scenario {
  mode: InjectionMode
  machineId: string
  atMs: number
  durationMs?: number
}

/** Resolves a failure mode, an alias of one, or a sensor fault mode (case-insensitive; pump modes also with `-` for `_`). */
export function parseInjectionMode (text: string): InjectionMode | undefined {
  const upper = text.toUpperCase()
  if (isFailureMode(upper)) return upper
  const lower = text.toLowerCase()
  if (Object.prototype.hasOwnProperty.call(FAILURE_ALIASES, lower)) return FAILURE_ALIASES[lower]
  if (isSensorFaultMode(lower)) return lower
  const snake = lower.replace(/-/g, '_')
  if (isPumpFailureMode(snake)) return snake
  return undefined
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Parses `30s`, `1.5m`, `250ms`, `2h` or a bare number of seconds into milliseconds. */
export function parseDuration (text: string): number | undefined {
  const m = DURATION.exec(text.trim())
  if (m === null) return undefined
  return Number(m[1]) * UNIT_MS[m[2] ?? 's']
}

const KNOWN = `HDF, PWF, OSF, TWF, RNF, overheat, power, overload, overstrain, tool-wear, random (AI4I machines); ${PUMP_FAILURE_MODES.join(', ')} (pumps); stuck, spike, drift, dropout, nan, garbage (any machine)`

/** Parses `mode:machine@time[+duration]`, e.g. `overheat:machine-3@30s` or `stuck:machine-1@10s+20s`. */
export function parseScenario (text: string): Scenario {
  const m = /^\s*([A-Za-z_-]+):([^@\s]+)@([^+\s]+)(?:\+(\S+))?\s*$/.exec(text)
  if (m === null) throw new ScenarioError(`invalid scenario ${JSON.stringify(text)}: expected mode:machine@time[+duration], e.g. overheat:machine-3@30s`)
  const mode = parseInjectionMode(m[1])
  if (mode === undefined) throw new ScenarioError(`unknown mode ${JSON.stringify(m[1])} in scenario ${JSON.stringify(text)}; known: ${KNOWN}`)
  const atMs = parseDuration(m[3])
  if (atMs === undefined) throw new ScenarioError(`invalid time ${JSON.stringify(m[3])} in scenario ${JSON.stringify(text)}: expected e.g. 30s, 1.5m, 500ms`)
  const scenario: Scenario = { mode, machineId: m[2], atMs }
  if (m[4] !== undefined) {
    const durationMs = parseDuration(m[4])
    if (durationMs === undefined || durationMs <= 0) throw new ScenarioError(`invalid duration ${JSON.stringify(m[4])} in scenario ${JSON.stringify(text)}: expected e.g. 20s`)
    scenario.durationMs = durationMs
  }
  return scenario
}

/** Reads scenarios from a file: one per line, blank lines and `#` comments ignored; errors name the line. */
export function readScenarioFile (path: string): Scenario[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/)
  const out: Scenario[] = []
  lines.forEach((line, i) => {
    const text = line.replace(/#.*/, '').trim()
    if (text === '') return
    try {
      out.push(parseScenario(text))
    } catch (err) {
      throw new ScenarioError(`${path}:${i + 1}: ${(err as Error).message}`)
    }
  })
  return out
}

/** A scenario converted to reading numbers of one machine. */
interface Trigger { cycle: number, mode: InjectionMode, readings: number | undefined }

/** Scripted injections per machine, in reading order, checked in O(1) per reading. */
export class ScenarioSchedule {
  private readonly triggers: Trigger[][]
  private readonly next: Int32Array

  /** `accepts` says whether machine number i can take a mode (a pump has no AI4I failures); default any. */
  constructor (scenarios: readonly Scenario[], machineIds: readonly string[], rateHz: number, accepts?: (index: number, mode: InjectionMode) => boolean) {
    const index = new Map(machineIds.map((id, i) => [id, i]))
    this.triggers = machineIds.map(() => [])
    for (const s of scenarios) {
      const i = index.get(s.machineId)
      if (i === undefined) throw new ScenarioError(`scenario ${s.mode}:${s.machineId}@${s.atMs}ms names an unknown machine; machines are ${machineIds.slice(0, 5).join(', ')}${machineIds.length > 5 ? ', ...' : ''}`)
      if (accepts !== undefined && !accepts(i, s.mode)) throw new ScenarioError(`scenario ${s.mode}:${s.machineId}@${s.atMs}ms: ${s.machineId} cannot have ${s.mode}; known: ${KNOWN}`)
      const readings = s.durationMs === undefined ? undefined : Math.max(1, Math.round(s.durationMs * rateHz / 1000))
      this.triggers[i].push({ cycle: Math.round(s.atMs * rateHz / 1000), mode: s.mode, readings })
    }
    for (const list of this.triggers) list.sort((a, b) => a.cycle - b.cycle)
    this.next = new Int32Array(machineIds.length)
  }

  /** Injects into `machine` (number `index`) every trigger due at or before `cycle`. */
  apply (index: number, cycle: number, machine: { inject: (mode: InjectionMode, readings?: number) => void }): void {
    const list = this.triggers[index]
    while (this.next[index] < list.length && list[this.next[index]].cycle <= cycle) {
      const t = list[this.next[index]++]
      machine.inject(t.mode, t.readings)
    }
  }
}

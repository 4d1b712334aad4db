/** Topic layout: `<prefix>/<machineId>/<kind>`, one subtree per machine. */

export const DEFAULT_TOPIC_PREFIX = 'factory'

/** Machine ids are one topic level: letters, digits, `-`, `_`, `.`; at most 64 characters. */
export const MACHINE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
const machineIdRegExp = new RegExp(MACHINE_ID_PATTERN)

export type TopicKind = 'telemetry' | 'anomalies' | 'status' | 'state' | 'rejected' | 'truth'

/** True when `id` can be used as a machine id (and so as a single topic level). */
export function isMachineId (id: string): boolean {
  return machineIdRegExp.test(id)
}

/** The topic of one kind of message for one machine. */
export function machineTopic (kind: TopicKind, machineId: string, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/${machineId}/${kind}`
}

/** The wildcard that matches one kind of message for every machine, e.g. `factory/+/anomalies`. */
export function allMachinesTopic (kind: TopicKind, prefix = DEFAULT_TOPIC_PREFIX): string {
  return `${prefix}/+/${kind}`
}

/** Extracts the machine id from a topic of the given prefix, or undefined if it is not one of ours. */
export function machineIdFromTopic (topic: string, prefix = DEFAULT_TOPIC_PREFIX): string | undefined {
  if (!topic.startsWith(prefix) || topic.charCodeAt(prefix.length) !== 47 /* / */) return undefined
  const start = prefix.length + 1
  const end = topic.indexOf('/', start)
  if (end === -1) return undefined
  return topic.slice(start, end)
}

import { readFile } from 'node:fs/promises'
import { AclError } from '../errors.js'
import { topicFilterProblem } from '../protocol/topics.js'

/**
 * Access control lists in Mosquitto's `acl_file` syntax:
 *
 *   # topic lines before the first `user` line apply to anonymous clients
 *   topic read factory/+/anomalies
 *   user detector
 *   topic read factory/+/telemetry
 *   topic write factory/+/anomalies
 *   pattern write factory/%u/#      # applies to every client; %u = user name, %c = client id
 *
 * Access is `read`, `write`, `readwrite` (the default) or `deny`; a matching `deny` wins. With an ACL
 * everything not granted is denied. Every message is checked against `read` when it is delivered, as
 * Mosquitto does. Mosquitto grants every SUBSCRIBE; we refuse (SUBACK 0x80) a filter that can match no
 * readable topic at all or that a deny rule covers entirely, so both brokers deliver exactly the same
 * messages and a client can tell a subscription that will never deliver anything.
 */

export type Access = 'read' | 'write' | 'readwrite' | 'deny'

interface Rule {
  access: Access
  /** Topic split on '/'; patterns keep `%u`/`%c` for substitution. */
  levels: string[]
  pattern: boolean
  hasUser: boolean
  hasClient: boolean
}

export interface Acl {
  /** Rules from `topic` lines before the first `user` line. */
  anonymous: Rule[]
  /** Rules from `topic` lines after `user <name>`. */
  users: Map<string, Rule[]>
  /** Rules from `pattern` lines, for every client. */
  patterns: Rule[]
}

const ACCESS = new Set<string>(['read', 'write', 'readwrite', 'deny'])

/** Parses the text of an ACL file; throws AclError naming the line. */
export function parseAcl (text: string, source = 'ACL file'): Acl {
  const acl: Acl = { anonymous: [], users: new Map(), patterns: [] }
  let current: Rule[] = acl.anonymous
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '' || line.startsWith('#')) continue
    const fail = (why: string): never => { throw new AclError(`${source}:${i + 1}: ${why}: ${JSON.stringify(line)}`) }
    const space = line.search(/\s/)
    const keyword = space === -1 ? line : line.slice(0, space)
    const rest = space === -1 ? '' : line.slice(space).trim()
    if (keyword === 'user') {
      if (rest === '') fail('missing user name')
      current = acl.users.get(rest) ?? []
      acl.users.set(rest, current)
      continue
    }
    if (keyword !== 'topic' && keyword !== 'pattern') fail('expected "user", "topic" or "pattern"')
    let access: Access = 'readwrite'
    let topic = rest
    const second = rest.search(/\s/)
    if (second !== -1 && ACCESS.has(rest.slice(0, second))) {
      access = rest.slice(0, second) as Access
      topic = rest.slice(second).trim()
    }
    if (topic === '') fail('missing topic')
    if (ACCESS.has(topic)) fail('missing topic after the access type')
    const problem = topicFilterProblem(topic)
    if (problem !== undefined) fail(`invalid wildcard or topic: ${problem.reason}`)
    const levels = topic.split('/')
    const pattern = keyword === 'pattern'
    const rule: Rule = { access, levels, pattern, hasUser: pattern && topic.includes('%u'), hasClient: pattern && topic.includes('%c') }
    if (pattern) acl.patterns.push(rule)
    else current.push(rule)
  }
  return acl
}

/** Reads and parses an ACL file. */
export async function loadAcl (path: string): Promise<Acl> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new AclError(`cannot read ACL file ${path}: ${(err as Error).message}`)
  }
  return parseAcl(text, path)
}

/** True when the filter levels (with + and #) match the concrete topic levels. */
function filterMatchesTopic (filter: readonly string[], topic: readonly string[]): boolean {
  // $-topics are never matched by a leading wildcard (MQTT-4.7.2-1).
  if (topic.length > 0 && topic[0].startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]
    if (f === '#') return true
    if (i >= topic.length) return false
    if (f !== '+' && f !== topic[i]) return false
  }
  return filter.length === topic.length
}

/** True when at least one topic matches both filters. */
function filtersIntersect (a: readonly string[], b: readonly string[]): boolean {
  const dollar = (x: readonly string[], y: readonly string[]): boolean => x[0].startsWith('$') && (y[0] === '+' || y[0] === '#')
  if (dollar(a, b) || dollar(b, a)) return false
  for (let i = 0; ; i++) {
    const x = a[i]
    const y = b[i]
    if (x === '#' || y === '#') return true
    // `a/b` and `a/b/#` share the topic `a/b`: handled above, as '#' also matches the parent level.
    if (x === undefined || y === undefined) return x === y
    if (x !== '+' && y !== '+' && x !== y) return false
  }
}

/** True when every topic the filter matches is also matched by the rule (both as levels). */
function ruleCoversFilter (rule: readonly string[], filter: readonly string[]): boolean {
  for (let i = 0; ; i++) {
    const r = rule[i]
    const f = filter[i]
    // A leading wildcard matches no $-topic (MQTT-4.7.2-1), so it covers no filter that names one.
    const dollar = i === 0 && f !== undefined && f.startsWith('$')
    if (r === '#') return !dollar
    if (r === undefined || f === undefined) return r === f
    if (f === '#') return false
    if (f === '+') {
      if (r !== '+') return false
      continue
    }
    if (r !== f && (r !== '+' || dollar)) return false
  }
}

/** What a client wants to do: publish to a topic, receive a message, or subscribe to a filter. */
export type Action = 'write' | 'read' | 'subscribe'

function grants (access: Access, action: Action): boolean {
  if (access === 'readwrite') return true
  if (action === 'write') return access === 'write'
  return access === 'read'
}

function substitute (rule: Rule, user: string | undefined, clientId: string): string[] | undefined {
  if (!rule.pattern || (!rule.hasUser && !rule.hasClient)) return rule.levels
  // Like Mosquitto: a value that could act as a wildcard or a level separator disables the pattern.
  if (rule.hasUser && (user === undefined || /[+#/]/.test(user))) return undefined
  if (rule.hasClient && /[+#/]/.test(clientId)) return undefined
  return rule.levels.map((level) => {
    let out = level
    if (rule.hasUser) out = out.split('%u').join(user)
    if (rule.hasClient) out = out.split('%c').join(clientId)
    return out
  })
}

/** Decides whether a client may perform `action` on `topic`; a matching `deny` rule wins. */
export function isAllowed (acl: Acl, user: string | undefined, clientId: string, action: Action, topic: string): boolean {
  const topicLevels = topic.split('/')
  const own = user === undefined ? acl.anonymous : acl.users.get(user)
  let granted = false
  for (const rules of [own ?? [], acl.patterns]) {
    for (const rule of rules) {
      const levels = substitute(rule, user, clientId)
      if (levels === undefined) continue
      if (!(action === 'subscribe' ? filtersIntersect(levels, topicLevels) : filterMatchesTopic(levels, topicLevels))) continue
      if (rule.access === 'deny') {
        // A filter a deny rule covers entirely can never deliver anything: refuse the SUBSCRIBE (SUBACK
        // 0x80), so the client can tell. A partial overlap is granted; delivery checks each message.
        if (action === 'subscribe' && !ruleCoversFilter(levels, topicLevels)) continue
        return false
      }
      if (grants(rule.access, action)) granted = true
    }
  }
  return granted
}

import type { MqttClient } from 'mqtt'
import { connect, endClient } from './helpers.js'

/**
 * One ACL test table, run against factory-broker and against Mosquitto with the same ACL file
 * (the repository's config/acl plus TEST_ACL_LINES) and the same users.
 */

export const TEST_USERS = ['machine-1', 'simulator', 'detector', 'dashboard', 'tester', 'observer'] as const
export type TestUser = typeof TEST_USERS[number]
export const passwordOf = (user: string): string => `${user}-secret`

/** Appended to config/acl: covers readwrite, deny and %c, and an observer that reads everything. */
export const TEST_ACL_LINES = `
user tester
topic readwrite lab/#
topic deny lab/secret
pattern readwrite clients/%c/#

user observer
topic readwrite #
`

export interface AclCase {
  user: TestUser
  clientId?: string
  /** publish: the observer (reads #) receives it; receive: the user, subscribed to `filter`, receives it. */
  action: 'publish' | 'receive'
  topic: string
  /** Subscription of a `receive` case; the topic itself by default. */
  filter?: string
  allowed: boolean
}

export const ACL_CASES: AclCase[] = [
  // machines: only their own subtree
  { user: 'machine-1', action: 'publish', topic: 'factory/machine-1/telemetry', allowed: true },
  { user: 'machine-1', action: 'publish', topic: 'factory/machine-1/status', allowed: true },
  { user: 'machine-1', action: 'publish', topic: 'factory/machine-2/telemetry', allowed: false },
  { user: 'machine-1', action: 'publish', topic: 'factory/machine-1/anomalies', allowed: false },
  { user: 'machine-1', action: 'receive', topic: 'factory/machine-1/anomalies', allowed: true },
  { user: 'machine-1', action: 'receive', filter: 'factory/+/anomalies', topic: 'factory/machine-1/anomalies', allowed: true },
  { user: 'machine-1', action: 'receive', filter: 'factory/+/anomalies', topic: 'factory/machine-2/anomalies', allowed: false },
  { user: 'machine-1', action: 'receive', topic: 'factory/machine-2/state', allowed: false },
  // the simulator plays every machine
  { user: 'simulator', action: 'publish', topic: 'factory/machine-7/telemetry', allowed: true },
  { user: 'simulator', action: 'publish', topic: 'factory/machine-7/truth', allowed: true },
  { user: 'simulator', action: 'publish', topic: 'factory/machine-7/anomalies', allowed: false },
  // the detector reads telemetry, writes events
  { user: 'detector', action: 'receive', filter: 'factory/+/telemetry', topic: 'factory/machine-3/telemetry', allowed: true },
  { user: 'detector', action: 'receive', filter: 'factory/#', topic: 'factory/machine-3/status', allowed: true },
  { user: 'detector', action: 'receive', filter: 'factory/#', topic: 'factory/machine-3/anomalies', allowed: false },
  { user: 'detector', action: 'publish', topic: 'factory/machine-3/anomalies', allowed: true },
  { user: 'detector', action: 'publish', topic: 'factory/machine-3/rejected', allowed: true },
  { user: 'detector', action: 'publish', topic: 'factory/machine-3/telemetry', allowed: false },
  // dashboards only read
  { user: 'dashboard', action: 'receive', filter: '#', topic: 'factory/machine-1/anomalies', allowed: true },
  { user: 'dashboard', action: 'receive', filter: '#', topic: 'lab/bench', allowed: false },
  { user: 'dashboard', action: 'receive', topic: 'lab/bench', allowed: false },
  { user: 'dashboard', action: 'publish', topic: 'factory/machine-1/anomalies', allowed: false },
  // readwrite, deny, %c
  { user: 'tester', action: 'publish', topic: 'lab/bench', allowed: true },
  { user: 'tester', action: 'publish', topic: 'lab/secret', allowed: false },
  { user: 'tester', action: 'receive', filter: 'lab/#', topic: 'lab/bench', allowed: true },
  { user: 'tester', action: 'receive', filter: 'lab/#', topic: 'lab/secret', allowed: false },
  { user: 'tester', action: 'receive', topic: 'lab/secret', allowed: false },
  { user: 'tester', clientId: 'cell-4', action: 'publish', topic: 'clients/cell-4/x', allowed: true },
  { user: 'tester', clientId: 'cell-5', action: 'publish', topic: 'clients/cell-4/x', allowed: false }
]

let counter = 0
function login (url: string, user: TestUser, clientId?: string): Promise<MqttClient> {
  return connect(url, { username: user, password: passwordOf(user), clientId: clientId ?? `${user}-${process.pid}-${counter++}` })
}

/** Runs every case against a broker; returns the observed outcome per case, in order. */
export async function runAclCases (url: string, cases: AclCase[] = ACL_CASES): Promise<boolean[]> {
  const outcomes: boolean[] = new Array(cases.length).fill(false)
  const observer = await login(url, 'observer')
  const clients: MqttClient[] = [observer]
  try {
    // Deliveries: subscribe each receiver (the SUBACK may refuse it), then the observer publishes.
    for (const [i, c] of cases.entries()) {
      if (c.action !== 'receive') continue
      const client = await login(url, c.user, c.clientId)
      clients.push(client)
      // mqtt.js rejects a SUBACK of 0x80; the case then simply receives nothing.
      await client.subscribeAsync(c.filter ?? c.topic, { qos: 1 }).catch(() => {})
      client.on('message', (topic, payload) => { if (topic === c.topic && payload.toString() === `case-${i}`) outcomes[i] = true })
    }

    // Publications: the observer (subscribed to #) sees what the broker let through.
    const seen = new Set<string>()
    let sentinelSeen = false
    const sentinel = `sentinel/${process.pid}/${counter++}`
    observer.on('message', (topic, payload) => {
      if (topic === sentinel) sentinelSeen = true
      else seen.add(`${topic} ${payload.toString()}`)
    })
    await observer.subscribeAsync('#', { qos: 1 })
    for (const [i, c] of cases.entries()) {
      if (c.action !== 'publish') continue
      const client = await login(url, c.user, c.clientId)
      await client.publishAsync(c.topic, `case-${i}`, { qos: 0 }).catch(() => {})
      await client.endAsync().catch(() => {})
    }
    for (const [i, c] of cases.entries()) {
      if (c.action === 'receive') await observer.publishAsync(c.topic, `case-${i}`, { qos: 1 })
    }
    // Everything published above was handled before the sentinel, which comes last.
    await observer.publishAsync(sentinel, 'end', { qos: 1 })
    const deadline = Date.now() + 10000
    // eslint-disable-next-line no-unmodified-loop-condition -- the observer's message handler sets sentinelSeen during the await
    while (!sentinelSeen && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    if (!sentinelSeen) throw new Error('sentinel message not delivered')
    await new Promise((resolve) => setTimeout(resolve, 200))
    for (const [i, c] of cases.entries()) {
      if (c.action === 'publish') outcomes[i] = seen.has(`${c.topic} case-${i}`)
    }
    return outcomes
  } finally {
    await Promise.all(clients.map(endClient))
  }
}

/** A readable list of the cases whose outcome differs from the table. */
export function mismatches (outcomes: boolean[], cases: AclCase[] = ACL_CASES): string[] {
  return cases.flatMap((c, i) => outcomes[i] === c.allowed
    ? []
    : [`${c.user}${c.clientId !== undefined ? ` (client ${c.clientId})` : ''} ${c.action} ${c.topic}: expected ${c.allowed ? 'allowed' : 'denied'}, got ${outcomes[i] ? 'allowed' : 'denied'}`])
}

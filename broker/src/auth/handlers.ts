import type { AedesOptions, AuthenticateError, Client } from 'aedes'
import type { Logger } from '@factory-edge/shared/runtime'
import { refusePublish } from './refused-publish.js'
import { isAllowed, type Acl, type Action } from './acl.js'
import { verifyPassword, type PasswordHash } from './password-file.js'
import type { BrokerMetrics } from '../observability/metrics.js'

export interface AuthSettings {
  /** user → hash; undefined when no password file is configured. */
  passwords?: Map<string, PasswordHash>
  acl?: Acl
  allowAnonymous: boolean
  logger: Logger
  metrics: BrokerMetrics
}

const SYS_PREFIX = '$SYS/'
/** Decisions cached per client and action; bounded because topics come from clients. */
const CACHE_LIMIT = 512
// CONNACK return codes of MQTT 3.1.1.
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

function authError (message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError
}

interface Identity {
  user: string | undefined
  /** Cached decisions, keyed by action + topic, valid for one ACL generation. */
  decisions: Map<string, boolean>
  generation: number
}

/** The aedes hooks that authenticate and authorise clients. */
export type AuthHooks = Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>

export interface Auth {
  /** To pass to aedes as options. */
  hooks: AuthHooks
  /** Swaps in a reloaded password file and ACL; connected clients are judged by the new ACL at once. */
  update (passwords: Map<string, PasswordHash> | undefined, acl: Acl | undefined): void
}

/** authenticate / authorizePublish / authorizeSubscribe / authorizeForward from a password file and an ACL. */
export function createAuth (settings: AuthSettings): Auth {
  const { allowAnonymous, logger, metrics } = settings
  let { passwords, acl } = settings
  let generation = 0
  const identities = new WeakMap<Client, Identity>()

  const decide = (client: Client, action: Action, topic: string): boolean => {
    if (acl === undefined) return true
    let identity = identities.get(client)
    if (identity === undefined) {
      identity = { user: undefined, decisions: new Map(), generation }
      identities.set(client, identity)
    }
    if (identity.generation !== generation) {
      identity.decisions.clear()
      identity.generation = generation
    }
    const key = action + '\0' + topic
    let allowed = identity.decisions.get(key)
    if (allowed === undefined) {
      allowed = isAllowed(acl, identity.user, client.id, action, topic)
      if (identity.decisions.size >= CACHE_LIMIT) identity.decisions.clear()
      identity.decisions.set(key, allowed)
    }
    return allowed
  }

  const deny = (client: Client, action: 'publish' | 'subscribe' | 'read', topic: string): void => {
    metrics.denials[action]++
    const level = action === 'read' ? 'debug' : 'warn'
    logger[level]({ clientId: client.id, user: identities.get(client)?.user, topic, action }, `ACL denied ${action} on ${topic}`)
  }

  const authenticate: AuthHooks['authenticate'] = (client, username, password, done) => {
    const user = username === undefined || username === '' ? undefined : username
    const accept = (): void => {
      // Without an ACL (none can appear on reload: it needs --acl-file) nothing asks who a client is.
      if (acl !== undefined) identities.set(client, { user, decisions: new Map(), generation })
      done(null, true)
    }
    const refuse = (reason: string, code: number): void => {
      metrics.authFailures++
      logger.warn({ clientId: client.id, user, reason }, `connection refused: ${reason}`)
      done(authError(reason, code), false)
    }
    if (user === undefined) {
      if (allowAnonymous) accept()
      else refuse('anonymous clients are not allowed', NOT_AUTHORIZED)
      return
    }
    if (passwords === undefined) {
      // Without a password file the user name is only used to pick ACL rules (like Mosquitto).
      if (allowAnonymous) accept()
      else refuse('no password file is configured', NOT_AUTHORIZED)
      return
    }
    const stored = passwords.get(user)
    if (stored === undefined || password === undefined) {
      refuse(stored === undefined ? 'unknown user' : 'missing password', BAD_USERNAME_OR_PASSWORD)
      return
    }
    verifyPassword(stored, password).then((ok) => {
      if (ok) accept()
      else refuse('wrong password', BAD_USERNAME_OR_PASSWORD)
    }, (err: Error) => refuse(`password check failed: ${err.message}`, BAD_USERNAME_OR_PASSWORD))
  }

  const authorizePublish: AuthHooks['authorizePublish'] = (client, packet, done) => {
    // client is null for the broker's own messages (e.g. wills of sessions that expired).
    if (client === null) return done(null)
    // $SYS topics are the broker's own; everything else as the ACL says. A refused PUBLISH is
    // acknowledged and dropped (MQTT-3.3.5-2, as Mosquitto does), see refused-publish.ts.
    if (packet.topic.startsWith(SYS_PREFIX) || !decide(client, 'write', packet.topic)) {
      deny(client, 'publish', packet.topic)
      refusePublish(packet)
      return done(null)
    }
    metrics.messagesIn++
    done(null)
  }

  const authorizeSubscribe: AuthHooks['authorizeSubscribe'] = (client, subscription, done) => {
    if (!decide(client, 'subscribe', subscription.topic)) {
      deny(client, 'subscribe', subscription.topic)
      // null negates only this subscription: the SUBACK carries 0x80 and the client stays connected.
      return done(null, null)
    }
    done(null, subscription)
  }

  const authorizeForward: AuthHooks['authorizeForward'] = (client, packet) => {
    if (acl !== undefined && !decide(client, 'read', packet.topic)) {
      deny(client, 'read', packet.topic)
      return null
    }
    metrics.messagesOut++
    return packet
  }

  return {
    hooks: { authenticate, authorizePublish, authorizeSubscribe, authorizeForward },
    update (newPasswords, newAcl) {
      passwords = newPasswords
      acl = newAcl
      generation++
    }
  }
}

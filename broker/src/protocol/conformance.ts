import type { AedesOptions, AuthenticateError, Client, ConnectPacket } from 'aedes'
import type { Logger } from '@factory-edge/shared/runtime'
import type { AuthHooks } from '../auth/handlers.js'
import type { BrokerMetrics } from '../observability/metrics.js'
import { ProtocolViolationError } from '../errors.js'
import { publishProblem, topicFilterProblem, topicNameProblem, type Violation } from './topics.js'

/** aedes sets `connackSent` on its clients (lib/client.js) but does not declare it. */
type ClientWithConnack = Client & { connackSent?: boolean }

export type ConformanceHooks = AuthHooks & Required<Pick<AedesOptions, 'preConnect'>>

export interface ConformanceSettings {
  logger: Logger
  metrics: BrokerMetrics
}

// CONNACK return code of MQTT 3.1.1 §3.2.2.3.
const IDENTIFIER_REJECTED = 2

function violation (problem: Violation): ProtocolViolationError {
  return new ProtocolViolationError(problem.reason, problem.statement)
}

/** What makes a CONNECT one the server must close the connection for (no CONNACK). */
function connectProblem (packet: ConnectPacket): Violation | undefined {
  // "If the User Name Flag is set to 0, the Password Flag MUST be set to 0" (MQTT-3.1.2-22).
  if (packet.password !== undefined && packet.username === undefined) return { reason: 'password without a user name', statement: 'MQTT-3.1.2-22' }
  const will = packet.will
  if (will !== undefined && will !== null) {
    if (will.qos !== 0 && will.qos !== 1 && will.qos !== 2) return { reason: `will QoS ${String(will.qos)}`, statement: 'MQTT-3.1.2-14' }
    const topic = topicNameProblem(will.topic)
    if (topic !== undefined) return { reason: `will ${topic.reason}`, statement: topic.statement }
  }
  return undefined
}

/**
 * The MQTT 3.1.1 rules that aedes does not enforce, as aedes hooks wrapped around the authorisation
 * hooks: what the broker accepts is valid MQTT, so it never stores, retains or forwards a packet it
 * could not encode; and a stored message that still cannot be written is dropped for that subscriber
 * (counted, logged once per connection) instead of disconnecting it at every reconnect.
 */
export function conformanceHooks (auth: AuthHooks, settings: ConformanceSettings): ConformanceHooks {
  const { logger, metrics } = settings
  const identifierRejected = new WeakSet<Client>()
  const dropLogged = new WeakSet<Client>()

  const preConnect: ConformanceHooks['preConnect'] = (client, packet, done) => {
    const problem = connectProblem(packet)
    if (problem !== undefined) return done(violation(problem), false)
    // A zero-byte client id asks the server to assign one, which only a clean session may do
    // (MQTT-3.1.3-8); MQTT 3.1 has no assigned ids at all. Answered in authenticate, the step that sends
    // a CONNACK with a return code.
    if (packet.clientId === '' && (!packet.clean || packet.protocolVersion === 3)) identifierRejected.add(client)
    done(null, true)
  }

  const authenticate: ConformanceHooks['authenticate'] = (client, username, password, done) => {
    if (identifierRejected.has(client)) {
      const err = Object.assign(violation({ reason: 'empty client id without a clean session', statement: 'MQTT-3.1.3-8' }), { returnCode: IDENTIFIER_REJECTED })
      return done(err as unknown as AuthenticateError, false)
    }
    auth.authenticate(client, username, password, done)
  }

  // Client PUBLISHes reach here after aedes' own topic check; wills (also of sessions the broker ends
  // itself, client null) only here.
  const authorizePublish: ConformanceHooks['authorizePublish'] = (client, packet, done) => {
    const problem = publishProblem(packet)
    if (problem !== undefined) return done(violation(problem))
    auth.authorizePublish(client, packet, done)
  }

  const authorizeSubscribe: ConformanceHooks['authorizeSubscribe'] = (client, subscription, done) => {
    const problem = topicFilterProblem(subscription.topic)
    if (problem === undefined) return auth.authorizeSubscribe(client, subscription, done)
    // While connecting, aedes restores the session's stored subscriptions through this hook, before it
    // sends the CONNACK: refusing one there would refuse the CONNECT, every time. Drop that subscription
    // instead. A SUBSCRIBE packet is handled only once the CONNACK is sent, but can be while `connected`
    // is still false (a client that pipelines it behind its CONNECT): that one is a violation like any.
    if (!(client as ClientWithConnack).connackSent) {
      logger.warn({ clientId: client.id, filter: subscription.topic, statement: problem.statement }, `stored subscription dropped: ${problem.reason}`)
      return done(null, null)
    }
    done(violation(problem))
  }

  const authorizeForward: ConformanceHooks['authorizeForward'] = (client, packet) => {
    const problem = publishProblem(packet)
    if (problem === undefined) return auth.authorizeForward(client, packet)
    // null drops the message for this subscriber; aedes also removes it from the session's queue.
    metrics.undeliverableMessages++
    const level = dropLogged.has(client) ? 'debug' : 'warn'
    dropLogged.add(client)
    logger[level]({ clientId: client.id, reason: problem.reason, statement: problem.statement }, 'message dropped for a subscriber: it cannot be encoded')
    return null
  }

  return { preConnect, authenticate, authorizePublish, authorizeSubscribe, authorizeForward }
}

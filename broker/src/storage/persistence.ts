import { mkdir } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { ClassicLevel } from 'classic-level'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js'
import createRedisEmitter from 'mqemitter-redis'
import type { Logger } from '@factory-edge/shared/runtime'
import { InOrder } from './in-order.js'

/** Where sessions, QoS 1/2 messages in flight and retained messages are kept. */
export type PersistenceKind = 'memory' | 'level' | 'redis'

export interface StorageOptions {
  persistence: PersistenceKind
  /** Directory of the LevelDB store (`level`). */
  persistenceDir?: string
  /** Redis URL (`redis`), e.g. redis://127.0.0.1:6379/0; also carries messages between cluster nodes. */
  redisUrl?: string
  logger: Logger
}

/** The aedes `persistence` and `mq` to use, and how to release them after the broker closed. */
export interface Storage {
  persistence?: unknown
  mq?: unknown
  close (): Promise<void>
}

/**
 * aedes-persistence-redis 12 returns retained messages as an async generator, but aedes 1.2 calls
 * `.pipe()` on them when a client subscribes (it crashes the process); this wraps them in a stream.
 */
class RedisPersistence extends AsyncRedisPersistence {
  override createRetainedStreamCombi (patterns: string[]): NodeJS.ReadableStream {
    const result = super.createRetainedStreamCombi(patterns)
    return 'pipe' in result ? result : Readable.from(result)
  }

  override createRetainedStream (pattern: string): NodeJS.ReadableStream {
    return this.createRetainedStreamCombi([pattern])
  }
}

/**
 * aedes forwards a QoS 1 message to an online persistent session only after the store has queued it
 * (`subscriptionsByTopic`, then `outgoingEnqueueCombi`), and the client drops, as a duplicate, any
 * message whose broker counter is below one it already forwarded, leaving its stored copy to wait for
 * the next reconnect. LevelDB's latency varies from call to call, so concurrent publishes overtook
 * each other and 3–6 % of the messages stalled. Releasing both steps in call order keeps the counter
 * order, while the writes still overlap.
 */
class LevelPersistence extends AsyncLevelPersistence {
  private readonly subscribers = new InOrder()
  private readonly enqueues = new InOrder()

  override async subscriptionsByTopic (topic: string): Promise<unknown> {
    return await this.subscribers.run(super.subscriptionsByTopic(topic))
  }

  override async outgoingEnqueueCombi (subs: unknown, packet: unknown): Promise<void> {
    await this.enqueues.run(super.outgoingEnqueueCombi(subs, packet))
  }
}

/** Turns a redis:// URL into ioredis options. */
export function redisOptions (url: string): Record<string, unknown> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`invalid Redis URL ${JSON.stringify(url)}: expected redis://[:password@]host[:port][/db]`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`invalid Redis URL ${JSON.stringify(url)}: expected redis://[:password@]host[:port][/db]`)
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username !== '' ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password !== '' ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isInteger(db) ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {})
  }
}

/** Opens the configured store; `memory` leaves aedes' built-in in-memory persistence. */
export async function openStorage (options: StorageOptions): Promise<Storage> {
  switch (options.persistence) {
    case 'memory':
      return { close: async () => {} }
    case 'level': {
      if (options.persistenceDir === undefined || options.persistenceDir === '') {
        throw new Error('persistence "level" needs a directory: set --persistence-dir (BROKER_PERSISTENCE_DIR)')
      }
      await mkdir(options.persistenceDir, { recursive: true })
      const db = new ClassicLevel(options.persistenceDir)
      try {
        await db.open()
      } catch (err) {
        const cause = (err as { cause?: Error }).cause
        throw new Error(`cannot open the persistence store in ${options.persistenceDir}: ${cause?.message ?? (err as Error).message}`)
      }
      const persistence = new LevelPersistence(db)
      return { persistence, close: async () => { await persistence.destroy() } }
    }
    case 'redis': {
      if (options.redisUrl === undefined || options.redisUrl === '') {
        throw new Error('persistence "redis" needs a Redis URL: set --redis-url (BROKER_REDIS_URL)')
      }
      const connection = redisOptions(options.redisUrl)
      const persistence = new RedisPersistence({ ...connection })
      const mq = createRedisEmitter({ ...connection })
      mq.state.on('error', (err: Error) => options.logger.error({ err }, 'redis message bus error'))
      return {
        persistence,
        mq,
        // aedes.close() already closed the mq; only the persistence connections are left.
        close: async () => { await persistence.destroy() }
      }
    }
  }
}

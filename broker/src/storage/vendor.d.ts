// The aedes persistence backends and mqemitter-redis ship without TypeScript types; these declare the
// parts we use.
declare module 'aedes-persistence-level/asyncPersistence.js' {
  export default class AsyncLevelPersistence {
    constructor (db: unknown)
    setup (broker: unknown): Promise<void>
    destroy (): Promise<void>
    subscriptionsByTopic (topic: string): Promise<unknown>
    outgoingEnqueueCombi (subs: unknown, packet: unknown): Promise<void>
  }
}

declare module 'aedes-persistence-redis/asyncPersistence.js' {
  export default class AsyncRedisPersistence {
    constructor (options: Record<string, unknown>)
    setup (broker: unknown): Promise<void>
    destroy (): Promise<void>
    createRetainedStreamCombi (patterns: string[]): AsyncIterable<unknown> | NodeJS.ReadableStream
    createRetainedStream (pattern: string): AsyncIterable<unknown> | NodeJS.ReadableStream
  }
}

declare module 'mqemitter-redis' {
  interface MQEmitterRedis {
    close (callback: () => void): void
    state: import('node:events').EventEmitter
  }
  function createEmitter (options: Record<string, unknown>): MQEmitterRedis
  export default createEmitter
}

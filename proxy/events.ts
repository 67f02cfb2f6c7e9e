/**
 * Messages between proxy instances over Redis pub/sub: ended sessions (cached
 * grain sessions are dropped). Changes to grains' shares travel on the
 * grain-changes feed (core/sharing/change-feed.ts), on a connection of its own.
 */
import { connectRedis } from '../core/redis.js'

export interface ProxyEvents {
  /** Calls `handler` with every message published on `channel` from now on. */
  on(channel: string, handler: (message: string) => void): Promise<void>
  close(): Promise<void>
}

export async function proxyEvents (redisUrl: string): Promise<ProxyEvents> {
  const subscriber = connectRedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
  await subscriber.connect()
  const handlers = new Map<string, Array<(message: string) => void>>()
  subscriber.on('message', (channel: string, message: string) => {
    for (const h of handlers.get(channel) ?? []) h(message)
  })
  return {
    async on (channel, handler) {
      const list = handlers.get(channel)
      if (list !== undefined) {
        list.push(handler)
        return
      }
      handlers.set(channel, [handler])
      await subscriber.subscribe(channel)
    },
    async close () { await subscriber.quit() },
  }
}

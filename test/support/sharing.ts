/**
 * A sharing world on the real test Redis: a key prefix of its own, users,
 * grains and a SharingService. Everything under the prefix is removed in
 * `t.after`.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import type { Redis } from 'ioredis'
import { redisGrainRecordStore } from '../../core/grain-records.js'
import { connectRedis } from '../../core/redis.js'
import { grainChangesChannel, redisChangeFeed, type ChangeFeed } from '../../core/sharing/change-feed.js'
import { redisSharingStore, type SharingStore } from '../../core/sharing/store.js'
import { SharingService, type SharingServiceOptions } from '../../core/sharing/index.js'
import { redisUserStore } from '../../core/users.js'
import { testRedisUrl, uniquePrefix } from './env.js'

export const NOTE_PERMISSIONS = ['read', 'comment', 'write', 'admin'] as const

export interface SharingWorld {
  redis: Redis
  keyPrefix: string
  service: SharingService
  /** Another service on its own Redis connection: a second proxy process. */
  other: () => SharingService
  /** Creates a user and answers their id. */
  user: (username: string) => Promise<string>
  /** Creates a grain owned by the user and answers its id. */
  grain: (ownerId: string) => Promise<string>
  deleteGrainRecord: (grainId: string) => Promise<void>
  /** A second proxy process with its own grain-changes feed: a service on its own connections, and how many graph loads it sent to Redis. */
  fed: (opts?: { leaseMs?: number }) => Promise<FedProcess>
  /** The feed's channel name under this world's prefix. */
  channel: string
}

export interface FedProcess {
  service: SharingService
  feed: ChangeFeed
  loads: () => number
  /** Closes the feed's subscriber connection from the Redis side (as Redis does to a client that falls too far behind). */
  dropSubscription: () => Promise<void>
}

export async function sharingWorld (t: TestContext, opts: { appPermissions?: readonly string[], now?: () => number } = {}): Promise<SharingWorld> {
  const keyPrefix = uniquePrefix()
  const clients: Redis[] = []
  const client = (): Redis => { const r = connectRedis(testRedisUrl(), { keyPrefix }); clients.push(r); return r }
  const redis = client()
  const appPermissions = opts.appPermissions ?? NOTE_PERMISSIONS
  const serviceOn = (r: Redis, more: Partial<SharingServiceOptions> = {}): SharingService => {
    const o: SharingServiceOptions = { redis: r, appPermissions: () => appPermissions, ...more }
    if (opts.now !== undefined) o.now = opts.now
    return new SharingService(o)
  }
  const channel = grainChangesChannel(redis)
  const feeds: ChangeFeed[] = []
  const users = redisUserStore(redis)
  const grains = redisGrainRecordStore(redis)
  t.after(async () => {
    const cleaner = connectRedis(testRedisUrl())
    let cursor = '0'
    do {
      const [next, found] = await cleaner.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000)
      if (found.length > 0) await cleaner.del(...found)
      cursor = next
    } while (cursor !== '0')
    await Promise.all(feeds.map((f) => f.close()))
    await Promise.all([cleaner, ...clients].map((c) => c.quit()))
  })
  return {
    redis,
    keyPrefix,
    service: serviceOn(redis),
    other: () => serviceOn(client()),
    user: async (username) => (await users.create({ username })).id,
    grain: async (owner) => (await grains.create({ appId: 'notes', appVersion: '1.0.0', title: 'a note', owner })).id,
    deleteGrainRecord: (grainId) => grains.delete(grainId),
    channel,
    async fed (feedOpts = {}) {
      const publisher = client()
      const name = `feed-${randomBytes(6).toString('hex')}`
      const feed = await redisChangeFeed({
        publisher, subscriber: connectRedis(testRedisUrl(), { lazyConnect: true, connectionName: name }), ...feedOpts,
      })
      feeds.push(feed)
      const store = redisSharingStore(publisher)
      let loads = 0
      const counting: SharingStore = { ...store, load: (grainId, cached) => { loads++; return store.load(grainId, cached) } }
      const dropSubscription = async (): Promise<void> => {
        const list = String(await redis.client('LIST'))
        const id = list.split('\n').find((l) => l.includes(` name=${name} `))?.match(/^id=(\d+)/)?.[1]
        assert.ok(id !== undefined, `no Redis client named ${name}`)
        await redis.client('KILL', 'ID', id)
      }
      return { service: serviceOn(publisher, { store: counting, feed }), feed, loads: () => loads, dropSubscription }
    },
  }
}

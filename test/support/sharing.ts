/**
 * A sharing world on the real test Redis: a key prefix of its own, users,
 * grains and a SharingService. Everything under the prefix is removed in
 * `t.after`.
 */
import type { TestContext } from 'node:test'
import type { Redis } from 'ioredis'
import { redisGrainRecordStore } from '../../core/grain-records.js'
import { connectRedis } from '../../core/redis.js'
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
}

export async function sharingWorld (t: TestContext, opts: { appPermissions?: readonly string[], now?: () => number } = {}): Promise<SharingWorld> {
  const keyPrefix = uniquePrefix()
  const clients: Redis[] = []
  const client = (): Redis => { const r = connectRedis(testRedisUrl(), { keyPrefix }); clients.push(r); return r }
  const redis = client()
  const appPermissions = opts.appPermissions ?? NOTE_PERMISSIONS
  const serviceOn = (r: Redis): SharingService => {
    const o: SharingServiceOptions = { redis: r, appPermissions: () => appPermissions }
    if (opts.now !== undefined) o.now = opts.now
    return new SharingService(o)
  }
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
  }
}

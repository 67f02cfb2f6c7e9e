/**
 * Grain records in Redis: which app (and version) a grain runs, its title,
 * its owner. The control plane creates and deletes them; the proxy reads them.
 * Shares live in the sharing module; container state lives in the control plane.
 */
import type { Redis } from 'ioredis'
import { randomId } from './ids.js'
import { keys } from './keys.js'
import { grainChangeMessage, grainChangesChannel } from './sharing/change-feed.js'

export interface GrainRecord {
  id: string
  appId: string
  appVersion: string
  title: string
  owner: string
  createdAt: number
  lastUsedAt: number
}

export interface GrainRecordStore {
  /** Records a new grain with a fresh id. Atomic. */
  create(input: Pick<GrainRecord, 'appId' | 'appVersion' | 'title' | 'owner'>): Promise<GrainRecord>
  /** The grain, or undefined if no such id. */
  get(grainId: string): Promise<GrainRecord | undefined>
  /** The grains with these ids, in that order; unknown ids are left out. */
  getMany(grainIds: readonly string[]): Promise<GrainRecord[]>
  /** Grains owned by a user, oldest first. */
  listOwnedBy(userId: string): Promise<GrainRecord[]>
  /** Every grain, oldest first. */
  listAll(): Promise<GrainRecord[]>
  /**
   * Sets fields of an existing grain; succeeds silently if it does not exist.
   * A new app version is announced on the grain-changes channel (its
   * permissions may differ), in the same script.
   */
  update(grainId: string, patch: Partial<Pick<GrainRecord, 'title' | 'appVersion' | 'lastUsedAt'>>): Promise<void>
  /** Removes the record and its index entries, and announces it on the grain-changes channel; succeeds silently if it does not exist. */
  delete(grainId: string): Promise<void>
}

function fromHash (h: Record<string, string>): GrainRecord | undefined {
  if (h.id === undefined) return undefined
  return {
    id: h.id,
    appId: h.appId ?? '',
    appVersion: h.appVersion ?? '',
    title: h.title ?? '',
    owner: h.owner ?? '',
    createdAt: Number(h.createdAt ?? 0),
    lastUsedAt: Number(h.lastUsedAt ?? 0),
  }
}

export function redisGrainRecordStore (redis: Redis): GrainRecordStore {
  const get = async (grainId: string): Promise<GrainRecord | undefined> => fromHash(await redis.hgetall(keys.grain(grainId)))
  const changes = grainChangesChannel(redis)
  const getMany = async (ids: readonly string[]): Promise<GrainRecord[]> =>
    (await Promise.all(ids.map(get))).filter((g): g is GrainRecord => g !== undefined)
  return {
    async create (input) {
      const now = Date.now()
      const grain: GrainRecord = { id: randomId(20), ...input, createdAt: now, lastUsedAt: now }
      await redis.multi()
        .hset(keys.grain(grain.id), { ...grain, createdAt: String(now), lastUsedAt: String(now) })
        .zadd(keys.grainsOwned(grain.owner), now, grain.id)
        .zadd(keys.grainsAll(), now, grain.id)
        .exec()
      return grain
    },
    get,
    getMany,
    async listOwnedBy (userId) { return getMany(await redis.zrange(keys.grainsOwned(userId), 0, -1)) },
    async listAll () { return getMany(await redis.zrange(keys.grainsAll(), 0, -1)) },
    async update (grainId, patch) {
      const fields = Object.entries(patch).flatMap(([k, v]) => v === undefined ? [] : [k, String(v)])
      if (fields.length === 0) return
      // ARGV: 1 channel to announce on (`''`: nothing to announce), 2 message, then the fields.
      const announce = patch.appVersion !== undefined ? changes : ''
      await redis.eval(`if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 3))
  if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
end`, 1, keys.grain(grainId), announce, grainChangeMessage(grainId), ...fields)
    },
    async delete (grainId) {
      const owner = await redis.hget(keys.grain(grainId), 'owner')
      const tx = redis.multi().del(keys.grain(grainId)).zrem(keys.grainsAll(), grainId)
      if (owner !== null) tx.zrem(keys.grainsOwned(owner), grainId)
      tx.publish(changes, grainChangeMessage(grainId))
      await tx.exec()
    },
  }
}

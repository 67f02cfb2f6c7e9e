/**
 * Apps in Redis: for each app id, its versions (manifest, image) and which
 * one is current. The control plane writes them (submission, seeding); the
 * proxy reads them (app list, roles when sharing). Keys: see `keys.ts`.
 *
 * A version records the Docker image *id* it was submitted with, not just
 * the tag: a grain starts from `current.imageId`, so retagging an image in
 * the engine never changes what an app runs, and publishing a new version
 * switches every grain that starts afterwards to the new image.
 */
import type { Redis } from 'ioredis'
import { keys } from './keys.js'
import type { Manifest } from './manifest/schema.js'
import { compareSemver } from './manifest/semver.js'

export interface AppVersion {
  /** `manifest.version`. */
  version: string
  manifest: Manifest
  /** The image reference it was submitted as (usually `manifest.image`). */
  imageRef: string
  /** The engine's image id (`sha256:...`): what grains of this version run. */
  imageId: string
  createdAt: number
}

export interface AppRecord {
  id: string
  /** The version new grains start with. */
  current: AppVersion
  /** Every recorded version, oldest first (semver order). */
  versions: string[]
  createdAt: number
  updatedAt: number
}

export type AddVersionResult =
  | { ok: true, app: AppRecord }
  /** Refused: the app already has this version or a newer one (`current`). */
  | { ok: false, current: string }

export interface AppStore {
  /**
   * Records a new version and makes it current, creating the app if needed.
   * Refused unless it is newer (semver) than the current version; the check
   * and the write are one atomic step, so two racing submissions cannot both win.
   */
  addVersion(version: AppVersion): Promise<AddVersionResult>
  /** The app with its current version, or undefined if no such id. */
  get(appId: string): Promise<AppRecord | undefined>
  /** One recorded version, or undefined. */
  getVersion(appId: string, version: string): Promise<AppVersion | undefined>
  /** Every app, oldest first. */
  list(): Promise<AppRecord[]>
  /** Removes the app and all its versions. True if it existed; succeeds silently otherwise. */
  delete(appId: string): Promise<boolean>
}

/**
 * Compare-and-set of the current version: writes only if the current version
 * is still the one the caller compared against (ARGV[1], '' for a new app).
 * Returns {1} on success, {0, current} otherwise.
 */
const ADD_VERSION = `
local cur = redis.call('HGET', KEYS[1], 'currentVersion') or ''
if cur ~= ARGV[1] then return {0, cur} end
redis.call('HSET', KEYS[1], 'id', ARGV[4], 'currentVersion', ARGV[2], 'updatedAt', ARGV[5])
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[5])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'NX', ARGV[5], ARGV[4])
return {1}
`
const MAX_ATTEMPTS = 5

function parseVersion (json: string | null): AppVersion | undefined {
  return json === null ? undefined : JSON.parse(json) as AppVersion
}

export function redisAppStore (redis: Redis): AppStore {
  async function get (appId: string): Promise<AppRecord | undefined> {
    const [head, all] = await Promise.all([redis.hgetall(keys.app(appId)), redis.hgetall(keys.appVersions(appId))])
    if (head.id === undefined || head.currentVersion === undefined) return undefined
    const current = parseVersion(all[head.currentVersion] ?? null)
    if (current === undefined) return undefined
    return {
      id: head.id,
      current,
      versions: Object.keys(all).sort(compareSemver),
      createdAt: Number(head.createdAt ?? 0),
      updatedAt: Number(head.updatedAt ?? 0),
    }
  }
  return {
    async addVersion (version) {
      const appId = version.manifest.id
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const current = await redis.hget(keys.app(appId), 'currentVersion') ?? ''
        if (current !== '' && compareSemver(version.version, current) <= 0) return { ok: false, current }
        const res = await redis.eval(ADD_VERSION, 3, keys.app(appId), keys.appVersions(appId), keys.appsAll(),
          current, version.version, JSON.stringify(version), appId, String(version.createdAt)) as [number, string?]
        if (res[0] === 1) {
          const app = await get(appId)
          if (app === undefined) throw new Error(`app ${appId} vanished right after it was recorded`)
          return { ok: true, app }
        }
        // Someone else changed the current version meanwhile: compare again.
      }
      throw new Error(`app ${appId}: too many concurrent submissions`)
    },
    get,
    async getVersion (appId, version) { return parseVersion(await redis.hget(keys.appVersions(appId), version)) },
    async list () {
      const ids = await redis.zrange(keys.appsAll(), 0, -1)
      return (await Promise.all(ids.map(get))).filter((a): a is AppRecord => a !== undefined)
    },
    async delete (appId) {
      const [[, removed] = []] = await redis.multi()
        .del(keys.app(appId), keys.appVersions(appId))
        .zrem(keys.appsAll(), appId)
        .exec() ?? []
      return Number(removed) > 0
    },
  }
}

/**
 * Sessions in Redis. A session id is 256 random bits handed to the browser in
 * a cookie; Redis only ever sees its SHA-256. Each session has an idle expiry
 * (renewed on use) and an absolute one (never renewed). Shell sessions and
 * grain sessions share the store but not their use: a lookup names the kind
 * (and grain) it accepts, so a cookie of one kind is worthless as the other.
 * Every session is indexed by user so that disabling an account or resetting
 * its password ends them all.
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { secretToken } from '../../core/ids.js'
import { proxyKeys } from '../../core/keys.js'

export const DEFAULT_SESSION_IDLE_MS = 7 * 24 * 3600_000
export const DEFAULT_SESSION_MAX_AGE_MS = 30 * 24 * 3600_000

export type SessionKind = 'shell' | 'grain'

export interface Session {
  /** The user; '' for an anonymous visitor (a grain session opened through a sharing link). */
  userId: string
  /** For anonymous grain sessions: the sharing link whose permissions they hold. */
  linkId?: string
  kind: SessionKind
  /** Set for grain sessions: the only grain the session opens. */
  grainId?: string
  /** The user's display name when the session began (grain requests carry it without another lookup). */
  displayName: string
  createdAt: number
}

export interface SessionStore {
  /** Starts a session and returns its fresh secret id. */
  create(session: Omit<Session, 'createdAt'>): Promise<string>
  /**
   * The session for `id` if it exists, is of `kind` (and of `grainId` for grain
   * sessions) and has not expired; renews its idle expiry. One Redis round trip.
   */
  get(id: string, kind: SessionKind, grainId?: string): Promise<Session | undefined>
  /** Ends one session; succeeds silently if it does not exist. */
  delete(id: string): Promise<void>
  /** Ends every session of the user, of every kind. */
  deleteAllFor(userId: string): Promise<void>
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex')

// Reads and renews in one step; an absolutely expired session is removed.
const GET_SCRIPT = `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return nil end
local created = 0
for i = 1, #h, 2 do if h[i] == 'createdAt' then created = tonumber(h[i + 1]) end end
local left = created + tonumber(ARGV[3]) - tonumber(ARGV[1])
if left <= 0 then redis.call('DEL', KEYS[1]) return nil end
redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[2]), left))
return h`

const GET_SCRIPT_SHA = createHash('sha1').update(GET_SCRIPT).digest('hex')

/** EVALSHA (the script is sent only once per Redis server), falling back to EVAL when the server does not know it yet. */
async function evalCached (redis: Redis, script: string, sha: string, keyList: string[], args: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(sha, keyList.length, ...keyList, ...args)
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err
    return redis.eval(script, keyList.length, ...keyList, ...args)
  }
}

export interface SessionTimes { idleMs?: number, maxAgeMs?: number }

export function redisSessionStore (redis: Redis, times: SessionTimes = {}): SessionStore {
  const idleMs = times.idleMs ?? DEFAULT_SESSION_IDLE_MS
  const maxAgeMs = times.maxAgeMs ?? DEFAULT_SESSION_MAX_AGE_MS
  return {
    async create (session) {
      const id = secretToken()
      const hash = hashSecret(id)
      const fields: Record<string, string> = { userId: session.userId, kind: session.kind, displayName: session.displayName, createdAt: String(Date.now()) }
      if (session.grainId !== undefined) fields.grainId = session.grainId
      if (session.linkId !== undefined) fields.linkId = session.linkId
      const tx = redis.multi()
        .hset(proxyKeys.session(hash), fields)
        .pexpire(proxyKeys.session(hash), Math.min(idleMs, maxAgeMs))
      if (session.userId !== '') tx.sadd(proxyKeys.userSessions(session.userId), hash).pexpire(proxyKeys.userSessions(session.userId), maxAgeMs)
      await tx.exec()
      return id
    },
    async get (id, kind, grainId) {
      if (id.length < 16 || id.length > 128) return undefined
      const raw = await evalCached(redis, GET_SCRIPT, GET_SCRIPT_SHA, [proxyKeys.session(hashSecret(id))], [String(Date.now()), String(idleMs), String(maxAgeMs)]) as string[] | null
      if (raw === null) return undefined
      const h: Record<string, string> = {}
      for (let i = 0; i + 1 < raw.length; i += 2) h[raw[i]!] = raw[i + 1]!
      if (h.kind !== kind || h.userId === undefined) return undefined
      if (kind === 'grain' && (grainId === undefined || h.grainId !== grainId)) return undefined
      return {
        userId: h.userId, kind, displayName: h.displayName ?? '', createdAt: Number(h.createdAt),
        ...(h.grainId !== undefined ? { grainId: h.grainId } : {}), ...(h.linkId !== undefined ? { linkId: h.linkId } : {}),
      }
    },
    async delete (id) {
      const hash = hashSecret(id)
      const userId = await redis.hget(proxyKeys.session(hash), 'userId')
      const tx = redis.multi().del(proxyKeys.session(hash))
      if (userId !== null && userId !== '') tx.srem(proxyKeys.userSessions(userId), hash)
      await tx.exec()
    },
    async deleteAllFor (userId) {
      const hashes = await redis.smembers(proxyKeys.userSessions(userId))
      await redis.del(proxyKeys.userSessions(userId), ...hashes.map(proxyKeys.session))
    },
  }
}

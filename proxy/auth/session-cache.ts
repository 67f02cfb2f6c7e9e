/**
 * A per-process cache in front of the session store for grain sessions (the
 * hot path), so a grain request needs no Redis round trip for its session
 * (nor for its permissions, while the grain-changes feed vouches for the
 * cached share graph). Ending sessions (logout, disabling a user, a password reset) is
 * announced through `publish`, which (in proxy/services.ts) returns only once
 * every proxy has applied it (the feed's barrier); an entry is also re-read
 * from Redis (which renews its idle expiry) at most `ttlMs` after it was
 * cached, which bounds staleness if a proxy ever missed a message.
 */
import type { Session, SessionStore } from './sessions.js'
import { hashSecret } from './sessions.js'

export const DEFAULT_SESSION_CACHE_TTL_MS = 2_000
const MAX_ENTRIES = 50_000

interface Entry { session: Session, hash: string, until: number }

export interface CachingSessionStore extends SessionStore {
  /** Applies an "ended" message from another proxy (`s:<hash>` or `u:<userId>`). */
  forget(message: string): void
}

export function cachingSessionStore (inner: SessionStore, publish: (message: string) => Promise<void>, ttlMs = DEFAULT_SESSION_CACHE_TTL_MS): CachingSessionStore {
  const entries = new Map<string, Entry>()
  const dropWhere = (test: (e: Entry) => boolean): void => {
    for (const [id, e] of entries) if (test(e)) entries.delete(id)
  }
  return {
    create: (session) => inner.create(session),
    async get (id, kind, grainId) {
      if (kind !== 'grain') return inner.get(id, kind, grainId)
      const now = Date.now()
      const hit = entries.get(id)
      if (hit !== undefined && now < hit.until) return hit.session.grainId === grainId ? hit.session : undefined
      const session = await inner.get(id, kind, grainId)
      if (session === undefined) {
        entries.delete(id)
        return undefined
      }
      if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string)
      entries.set(id, { session, hash: hashSecret(id), until: now + ttlMs })
      return session
    },
    async delete (id) {
      entries.delete(id)
      await inner.delete(id)
      await publish(`s:${hashSecret(id)}`)
    },
    async deleteAllFor (userId) {
      dropWhere((e) => e.session.userId === userId)
      await inner.deleteAllFor(userId)
      await publish(`u:${userId}`)
    },
    forget (message) {
      if (message.startsWith('s:')) dropWhere((e) => e.hash === message.slice(2))
      else if (message.startsWith('u:')) dropWhere((e) => e.session.userId === message.slice(2))
    },
  }
}

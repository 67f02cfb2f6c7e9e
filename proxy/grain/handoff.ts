/**
 * The one-time handoff that opens a grain on its own origin. The shell (where
 * the user is logged in) mints a short-lived single-use token bound to the
 * user (or the sharing link, for anonymous visitors) and the grain; the grain
 * host trades it for a grain session cookie of its own. Redis keeps the
 * token's hash only.
 */
import type { Redis } from 'ioredis'
import { secretToken } from '../../core/ids.js'
import { proxyKeys } from '../../core/keys.js'
import { hashSecret } from '../auth/sessions.js'

export const HANDOFF_TTL_S = 60
/** The path on every grain host that takes a handoff token; reserved, never forwarded to the grain. */
export const HANDOFF_PATH = '/.granary/handoff'

export interface Handoff {
  grainId: string
  /** The user, or absent for an anonymous visitor through a link. */
  userId?: string
  displayName: string
  /** For anonymous visitors: the link they came through. */
  linkId?: string
  /** Where on the grain to land (a path). */
  path: string
}

export interface HandoffStore {
  /** Mints a token for the handoff. */
  create(handoff: Handoff): Promise<string>
  /** The handoff, consumed: a second call with the same token answers undefined, as does an expired or unknown token. */
  take(token: string): Promise<Handoff | undefined>
}

export function redisHandoffStore (redis: Redis): HandoffStore {
  return {
    async create (handoff) {
      const token = secretToken()
      await redis.set(proxyKeys.grainHandoff(hashSecret(token)), JSON.stringify(handoff), 'EX', HANDOFF_TTL_S)
      return token
    },
    async take (token) {
      if (token.length < 16 || token.length > 128) return undefined
      const raw = await redis.getdel(proxyKeys.grainHandoff(hashSecret(token)))
      if (raw === null) return undefined
      return JSON.parse(raw) as Handoff
    },
  }
}

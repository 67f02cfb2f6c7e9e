/**
 * API tokens for scripts: `Authorization: Bearer <token>`. A token is 256
 * random bits shown once at creation; Redis keeps its SHA-256.
 */
import type { Redis } from 'ioredis'
import { secretToken } from '../../core/ids.js'
import { proxyKeys } from '../../core/keys.js'
import { hashSecret } from './sessions.js'

export interface ApiTokenStore {
  /** Creates a token for the user and returns it (the only time it is visible). */
  create(userId: string, name: string): Promise<string>
  /** The user id the token belongs to, or undefined for an unknown token. */
  resolve(token: string): Promise<string | undefined>
  /** Revokes every token of the user (account disabled or password reset). */
  revokeAllFor(userId: string): Promise<void>
}

export function redisApiTokenStore (redis: Redis): ApiTokenStore {
  return {
    async create (userId, name) {
      const token = secretToken()
      const hash = hashSecret(token)
      await redis.multi()
        .hset(proxyKeys.apiToken(hash), { userId, name, createdAt: String(Date.now()) })
        .sadd(proxyKeys.userApiTokens(userId), hash)
        .exec()
      return token
    },
    async resolve (token) {
      if (token.length < 16 || token.length > 128) return undefined
      return await redis.hget(proxyKeys.apiToken(hashSecret(token)), 'userId') ?? undefined
    },
    async revokeAllFor (userId) {
      const hashes = await redis.smembers(proxyKeys.userApiTokens(userId))
      await redis.del(proxyKeys.userApiTokens(userId), ...hashes.map(proxyKeys.apiToken))
    },
  }
}

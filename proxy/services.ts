/**
 * The stores and clients every proxy route uses, made once per app from its
 * Redis client and decorated as `app.services`.
 */
import type { Redis } from 'ioredis'
import { redisGrainRecordStore, type GrainRecordStore } from '../core/grain-records.js'
import { redisUserStore, type UserStore } from '../core/users.js'
import { redisApiTokenStore, type ApiTokenStore } from './auth/api-tokens.js'
import { redisLoginThrottle, type LoginThrottle } from './auth/login-throttle.js'
import { redisPasswordStore, type PasswordStore } from './auth/passwords.js'
import { redisSessionStore, type SessionStore, type SessionTimes } from './auth/sessions.js'
import type { ControlPlaneClient } from './control-plane-client.js'

export interface ProxyServices {
  users: UserStore
  passwords: PasswordStore
  sessions: SessionStore
  apiTokens: ApiTokenStore
  throttle: LoginThrottle
  grains: GrainRecordStore
  controlPlane: ControlPlaneClient
  /** Ends every way the user is logged in: sessions (shell and grain) and API tokens. */
  logOutEverywhere(userId: string): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance { services: ProxyServices }
}

export function makeServices (redis: Redis, controlPlane: ControlPlaneClient, sessionTimes: SessionTimes = {}): ProxyServices {
  const sessions = redisSessionStore(redis, sessionTimes)
  const apiTokens = redisApiTokenStore(redis)
  return {
    users: redisUserStore(redis),
    passwords: redisPasswordStore(redis),
    sessions,
    apiTokens,
    throttle: redisLoginThrottle(redis),
    grains: redisGrainRecordStore(redis),
    controlPlane,
    async logOutEverywhere (userId) {
      await Promise.all([sessions.deleteAllFor(userId), apiTokens.revokeAllFor(userId)])
    },
  }
}

/**
 * The stores and clients every proxy route uses, made once per app from its
 * Redis client and decorated as `app.services`.
 */
import type { Redis } from 'ioredis'
import { redisAuditLog, type AuditLog } from '../core/audit.js'
import { redisGrainRecordStore, type GrainRecordStore } from '../core/grain-records.js'
import { redisUserStore, type UserStore } from '../core/users.js'
import { redisApiTokenStore, type ApiTokenStore } from './auth/api-tokens.js'
import { redisLoginThrottle, type LoginThrottle } from './auth/login-throttle.js'
import { redisPasswordStore, type PasswordStore, type ScryptParams } from './auth/passwords.js'
import { cachingSessionStore, type CachingSessionStore } from './auth/session-cache.js'
import { redisSessionStore, type SessionTimes } from './auth/sessions.js'
import { SharingService } from '../core/sharing/index.js'
import type { ChangeFeed } from '../core/sharing/change-feed.js'
import { appPermissionIds, type AppDirectory } from './apps.js'
import type { ControlPlaneClient } from './control-plane-client.js'
import { redisHandoffStore, type HandoffStore } from './grain/handoff.js'

export interface ProxyServices {
  users: UserStore
  passwords: PasswordStore
  sessions: CachingSessionStore
  apiTokens: ApiTokenStore
  throttle: LoginThrottle
  grains: GrainRecordStore
  controlPlane: ControlPlaneClient
  sharing: SharingService
  apps: AppDirectory
  handoffs: HandoffStore
  /** The installation's audit log: logins and admin actions are recorded here (sharing writes record themselves). */
  audit: AuditLog
  /** Ends every way the user is logged in: sessions (shell and grain) and API tokens. */
  logOutEverywhere(userId: string): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance { services: ProxyServices }
}

export interface ServicesOptions {
  controlPlane: ControlPlaneClient
  apps: AppDirectory
  sessionTimes?: SessionTimes | undefined
  scryptParams?: ScryptParams | undefined
  /** The grain-changes feed (core/sharing/change-feed.ts): permission checks from memory, writes that settle. */
  feed: ChangeFeed
  /** The pub/sub channel for ended sessions (Redis key prefixes do not apply to channels). */
  sessionsChannel: string
}

export function makeServices (redis: Redis, opts: ServicesOptions): ProxyServices {
  const { controlPlane, apps } = opts
  // Ending sessions returns once every proxy has dropped them from its cache.
  const sessions = cachingSessionStore(redisSessionStore(redis, opts.sessionTimes), async (message) => {
    await redis.publish(opts.sessionsChannel, message)
    await opts.feed.settle()
  })
  const users = redisUserStore(redis)
  const apiTokens = redisApiTokenStore(redis)
  return {
    users,
    passwords: redisPasswordStore(redis, opts.scryptParams),
    sessions,
    apiTokens,
    throttle: redisLoginThrottle(redis),
    grains: redisGrainRecordStore(redis),
    controlPlane,
    sharing: new SharingService({ redis, users, appPermissions: ({ appId }) => appPermissionIds(apps, appId), feed: opts.feed }),
    apps,
    handoffs: redisHandoffStore(redis),
    audit: redisAuditLog(redis),
    async logOutEverywhere (userId) {
      await Promise.all([sessions.deleteAllFor(userId), apiTokens.revokeAllFor(userId)])
    },
  }
}

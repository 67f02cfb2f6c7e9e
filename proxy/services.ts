/**
 * The stores and clients every proxy route uses, made once per app from its
 * Redis client and decorated as `app.services`. The account part
 * (`accountServices`) is also what the command line uses to administer
 * accounts, so both end sessions the same way.
 */
import type { Redis } from 'ioredis'
import { redisAuditLog, type AuditLog } from '../core/audit.js'
import { proxyKeys } from '../core/keys.js'
import { channelName } from '../core/redis.js'
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
import type { AccountServices } from './admin/accounts.js'

export interface LoginServices extends AccountServices {
  users: UserStore
  passwords: PasswordStore
  sessions: CachingSessionStore
  apiTokens: ApiTokenStore
  /** The installation's audit log: logins and admin actions are recorded here (sharing writes record themselves). */
  audit: AuditLog
}

export interface ProxyServices extends LoginServices {
  throttle: LoginThrottle
  grains: GrainRecordStore
  controlPlane: ControlPlaneClient
  sharing: SharingService
  apps: AppDirectory
  handoffs: HandoffStore
}

declare module 'fastify' {
  interface FastifyInstance { services: ProxyServices }
}

export interface LoginServicesOptions {
  sessionTimes?: SessionTimes | undefined
  scryptParams?: ScryptParams | undefined
  /** The grain-changes feed (core/sharing/change-feed.ts): permission checks from memory, writes that settle (ending sessions too). */
  feed: ChangeFeed
}

export interface ServicesOptions extends LoginServicesOptions {
  controlPlane: ControlPlaneClient
  apps: AppDirectory
}

/** The pub/sub channel on which ended sessions are announced to every proxy (with the client's key prefix: Redis applies none to channels). */
export const sessionsEndedChannel = (redis: Redis): string => channelName(redis, proxyKeys.sessionsEnded())

/** Accounts, passwords, sessions, API tokens and the audit log on this Redis client. */
export function loginServices (redis: Redis, opts: LoginServicesOptions): LoginServices {
  const channel = sessionsEndedChannel(redis)
  // Ending sessions returns once every proxy has dropped them from its cache.
  const sessions = cachingSessionStore(redisSessionStore(redis, opts.sessionTimes), async (message) => {
    await redis.publish(channel, message)
    await opts.feed.settle()
  })
  const apiTokens = redisApiTokenStore(redis)
  return {
    users: redisUserStore(redis),
    passwords: redisPasswordStore(redis, opts.scryptParams),
    sessions,
    apiTokens,
    audit: redisAuditLog(redis),
    async logOutEverywhere (userId) {
      await Promise.all([sessions.deleteAllFor(userId), apiTokens.revokeAllFor(userId)])
    },
  }
}

export function makeServices (redis: Redis, opts: ServicesOptions): ProxyServices {
  const { controlPlane, apps } = opts
  const login = loginServices(redis, opts)
  const { users } = login
  return {
    ...login,
    throttle: redisLoginThrottle(redis),
    grains: redisGrainRecordStore(redis),
    controlPlane,
    sharing: new SharingService({ redis, users, appPermissions: ({ appId }) => appPermissionIds(apps, appId), feed: opts.feed }),
    apps,
    handoffs: redisHandoffStore(redis),
  }
}

/**
 * Failed-login counters in Redis, per client address and per account, over a
 * fixed window. Past either limit, logins are refused (429) until the window
 * ends, whether the password is right or not; a success clears the account's
 * counter.
 */
import type { Redis } from 'ioredis'
import { AUTH_ERR_LOCKED } from '../../core/errors.js'
import { proxyKeys } from '../../core/keys.js'

export const LOGIN_WINDOW_MS = 15 * 60_000
export const MAX_FAILURES_PER_ACCOUNT = 10
export const MAX_FAILURES_PER_ADDRESS = 30

export interface LoginThrottle {
  /** Throws AUTH_ERR_LOCKED (429) if the address or the account is over its limit. */
  check(address: string, username: string): Promise<void>
  /** Counts one failure against both. */
  fail(address: string, username: string): Promise<void>
  /** Clears the account's counter after a successful login. */
  succeed(username: string): Promise<void>
}

export function redisLoginThrottle (redis: Redis, limits = { account: MAX_FAILURES_PER_ACCOUNT, address: MAX_FAILURES_PER_ADDRESS, windowMs: LOGIN_WINDOW_MS }): LoginThrottle {
  const accountKey = (username: string): string => proxyKeys.loginFailuresByAccount(username.trim().toLowerCase().slice(0, 100))
  return {
    async check (address, username) {
      const res = await redis.multi()
        .get(proxyKeys.loginFailuresByAddress(address)).pttl(proxyKeys.loginFailuresByAddress(address))
        .get(accountKey(username)).pttl(accountKey(username))
        .exec()
      const [byAddr, addrTtl, byAccount, accountTtl] = (res ?? []).map(([, v]) => v)
      const over = (count: unknown, limit: number): boolean => Number(count ?? 0) >= limit
      if (over(byAddr, limits.address) || over(byAccount, limits.account)) {
        const ms = Math.max(Number(over(byAddr, limits.address) ? addrTtl : 0), Number(over(byAccount, limits.account) ? accountTtl : 0))
        throw new AUTH_ERR_LOCKED(String(Math.max(1, Math.ceil(ms / 60_000))))
      }
    },
    async fail (address, username) {
      await redis.multi()
        .incr(proxyKeys.loginFailuresByAddress(address)).pexpire(proxyKeys.loginFailuresByAddress(address), limits.windowMs, 'NX')
        .incr(accountKey(username)).pexpire(accountKey(username), limits.windowMs, 'NX')
        .exec()
    },
    async succeed (username) { await redis.del(accountKey(username)) },
  }
}

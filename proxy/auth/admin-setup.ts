/**
 * The first admin. On start, an `admin` account is made if missing. With
 * ADMIN_PASSWORD it gets that password (only when it has none yet). Without,
 * while admin has no password, a one-time setup token is minted (replacing
 * any earlier one): whoever opens the setup link first chooses the password.
 */
import type { Redis } from 'ioredis'
import { ERR_CONFLICT } from '../../core/errors.js'
import { secretToken } from '../../core/ids.js'
import { proxyKeys } from '../../core/keys.js'
import type { User } from '../../core/users.js'
import type { ProxyServices } from '../services.js'
import { checkPasswordPolicy } from './passwords.js'
import { hashSecret } from './sessions.js'

export const ADMIN_USERNAME = 'admin'

/** Ensures the admin exists; returns a fresh setup token when the admin still needs a password. */
export async function ensureAdmin (redis: Redis, services: ProxyServices, adminPassword: string | undefined): Promise<{ setupToken?: string }> {
  let admin = await services.users.byUsername(ADMIN_USERNAME)
  if (admin === undefined) {
    try {
      admin = await services.users.create({ username: ADMIN_USERNAME, displayName: 'Administrator', role: 'admin' })
    } catch (err) {
      if (!(err instanceof ERR_CONFLICT)) throw err
      admin = await services.users.byUsername(ADMIN_USERNAME)
    }
  }
  if (admin === undefined) throw new Error('cannot create the admin account')
  if (await services.passwords.has(admin.id)) return {}
  if (adminPassword !== undefined) {
    await services.passwords.set(admin.id, adminPassword)
    return {}
  }
  const setupToken = secretToken()
  await redis.set(proxyKeys.adminSetup(), hashSecret(setupToken))
  return { setupToken }
}

/** Uses the setup token once: sets the admin's password and returns the admin, or undefined if the token is not the current one or the admin already has a password. */
export async function completeSetup (redis: Redis, services: ProxyServices, token: string, password: string): Promise<User | undefined> {
  checkPasswordPolicy(password)
  const admin = await services.users.byUsername(ADMIN_USERNAME)
  if (admin === undefined) return undefined
  // The link is for the first password only: one set meanwhile another way
  // (`granary user password admin`, another admin) retires it.
  if (await services.passwords.has(admin.id)) {
    await redis.del(proxyKeys.adminSetup())
    return undefined
  }
  // Compare-and-delete in one step: two visitors with the link cannot both win.
  const won = await redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, proxyKeys.adminSetup(), hashSecret(token))
  if (won !== 1) return undefined
  await services.passwords.set(admin.id, password)
  return admin
}

/**
 * Passwords: scrypt (node:crypto) with a per-password random salt; the stored
 * string carries its parameters, so they can be raised later without breaking
 * old hashes. The store keeps one hash per user beside the account record.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import type { Redis } from 'ioredis'
import { AUTH_ERR_WEAK_PASSWORD } from '../../core/errors.js'
import { proxyKeys } from '../../core/keys.js'

/** N = 2^15, r = 8, p = 1: about 32 MiB and a few tens of ms per check on the target machine. */
export const SCRYPT_PARAMS = { N: 32768, r: 8, p: 1 } as const
const KEY_LENGTH = 32
const SALT_BYTES = 16
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 1024

function derive (password: string, salt: Buffer, params: { N: number, r: number, p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => err ? reject(err) : resolve(key)))
}

export function checkPasswordPolicy (password: string): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) throw new AUTH_ERR_WEAK_PASSWORD()
}

/** `scrypt$N$r$p$salt$hash`. */
export async function hashPassword (password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, SCRYPT_PARAMS)
  return ['scrypt', SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** True when `password` matches `stored`; false for a malformed or foreign hash. Constant-time comparison. */
export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false
  const params = { N: Number(n), r: Number(r), p: Number(p) }
  if (![params.N, params.r, params.p].every((x) => Number.isInteger(x) && x > 0)) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await derive(password, Buffer.from(salt, 'base64url'), params)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

// Checked when the account does not exist, so a wrong username takes as long as a wrong password.
let dummyHash: Promise<string> | undefined

export interface PasswordStore {
  /** Sets (or replaces) the user's password; throws AUTH_ERR_WEAK_PASSWORD if it breaks the policy. */
  set(userId: string, password: string): Promise<void>
  /** True if the user has a password and it matches. Takes the same time whether or not the user has one. */
  verify(userId: string | undefined, password: string): Promise<boolean>
  /** True if the user has a password set. */
  has(userId: string): Promise<boolean>
}

export function redisPasswordStore (redis: Redis): PasswordStore {
  return {
    async set (userId, password) {
      checkPasswordPolicy(password)
      await redis.set(proxyKeys.password(userId), await hashPassword(password))
    },
    async verify (userId, password) {
      const stored = userId === undefined ? null : await redis.get(proxyKeys.password(userId))
      if (stored === null || password.length > PASSWORD_MAX) {
        dummyHash ??= hashPassword('not a password')
        await verifyPassword(password.slice(0, PASSWORD_MAX), await dummyHash)
        return false
      }
      return verifyPassword(password, stored)
    },
    async has (userId) { return await redis.exists(proxyKeys.password(userId)) === 1 },
  }
}

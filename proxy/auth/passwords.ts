/**
 * Passwords: scrypt (node:crypto) with a per-password random salt; the stored
 * string carries its parameters, so they can be raised later without breaking
 * old hashes. The store keeps one hash per user beside the account record.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import type { Redis } from 'ioredis'
import { AUTH_ERR_WEAK_PASSWORD } from '../../core/errors.js'
import { proxyKeys } from '../../core/keys.js'

export interface ScryptParams { N: number, r: number, p: number }
/** N = 2^15, r = 8, p = 1: about 32 MiB and a few tens of ms per check on the target machine. */
export const SCRYPT_PARAMS: ScryptParams = { N: 32768, r: 8, p: 1 }
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
export async function hashPassword (password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, params)
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** True when `password` matches `stored`; false for a malformed or foreign hash. Constant-time comparison. */
export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false
  const params = { N: Number(n), r: Number(r), p: Number(p) }
  // Bounds keep a tampered hash from asking for gigabytes of memory.
  if (![params.N, params.r, params.p].every((x) => Number.isInteger(x) && x > 0) || params.N > 1 << 20 || params.r > 32 || params.p > 16) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await derive(password, Buffer.from(salt, 'base64url'), params)
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

export interface PasswordStore {
  /** Sets (or replaces) the user's password; throws AUTH_ERR_WEAK_PASSWORD if it breaks the policy. */
  set(userId: string, password: string): Promise<void>
  /** True if the user has a password and it matches. Takes the same time whether or not the user has one. */
  verify(userId: string | undefined, password: string): Promise<boolean>
  /** True if the user has a password set. */
  has(userId: string): Promise<boolean>
}

export function redisPasswordStore (redis: Redis, params: ScryptParams = SCRYPT_PARAMS): PasswordStore {
  // Checked when the account has no password, so a wrong username takes as long as a wrong password.
  let dummyHash: Promise<string> | undefined
  return {
    async set (userId, password) {
      checkPasswordPolicy(password)
      await redis.set(proxyKeys.password(userId), await hashPassword(password, params))
    },
    async verify (userId, password) {
      const stored = userId === undefined ? null : await redis.get(proxyKeys.password(userId))
      if (stored === null || password.length > PASSWORD_MAX) {
        dummyHash ??= hashPassword('not a password', params)
        await verifyPassword(password.slice(0, PASSWORD_MAX), await dummyHash)
        return false
      }
      return verifyPassword(password, stored)
    },
    async has (userId) { return await redis.exists(proxyKeys.password(userId)) === 1 },
  }
}

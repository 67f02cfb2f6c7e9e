/**
 * Input checks for the sharing operations: everything a client can send is
 * checked here before it reaches Redis, with messages a person can act on.
 */
import { ERR_BAD_REQUEST } from '../errors.js'
import { isId } from '../ids.js'
import type { Grant } from './graph.js'

const MAX_SHOWN = 40
const MAX_SECRET_LENGTH = 256
const MAX_LABEL_LENGTH = 120

/** A value shown back in an error message: quoted, cut short, never raw. */
export const shown = (v: unknown): string => {
  const s = typeof v === 'string' ? v : String(JSON.stringify(v))
  return JSON.stringify(s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s)
}

/** Throws ERR_BAD_REQUEST unless `value` is an id (lowercase base32, 8-40 characters). */
export function checkId (what: string, value: unknown): string {
  if (typeof value !== 'string' || !isId(value)) throw new ERR_BAD_REQUEST(`${what} must be an id (8-40 of a-z, 2-7), got ${shown(value)}`)
  return value
}

/**
 * The permissions to share: `'all'`, or a non-empty list of ids the app
 * declares (duplicates dropped, put in manifest order).
 */
export function checkGrant (value: unknown, appPermissions: readonly string[]): Grant {
  if (value === 'all') return 'all'
  if (!Array.isArray(value)) throw new ERR_BAD_REQUEST(`permissions must be a list of permission ids or "all", got ${shown(value)}`)
  if (value.length === 0) throw new ERR_BAD_REQUEST('choose at least one permission to share')
  if (value.length > 256) throw new ERR_BAD_REQUEST(`too many permissions (${value.length})`)
  const bad = value.filter((p) => typeof p !== 'string' || !appPermissions.includes(p))
  if (bad.length > 0) {
    throw new ERR_BAD_REQUEST(`unknown permission${bad.length > 1 ? 's' : ''} ${bad.slice(0, 5).map(shown).join(', ')}; this app declares ${appPermissions.join(', ')}`)
  }
  return appPermissions.filter((p) => value.includes(p))
}

/** An expiry: undefined, or a time (ms since epoch) after `now`. */
export function checkExpiry (value: unknown, now: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ERR_BAD_REQUEST(`expiresAt must be a time in milliseconds since the epoch, got ${shown(value)}`)
  if (value <= now) throw new ERR_BAD_REQUEST('expiresAt is in the past')
  return value
}

/** A link or token secret as a client sent it. */
export function checkSecret (value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SECRET_LENGTH) throw new ERR_BAD_REQUEST('malformed secret')
  return value
}

/** An optional short label (a role name, a token's purpose). */
export function checkLabel (what: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length > MAX_LABEL_LENGTH || hasControlCharacters(value)) throw new ERR_BAD_REQUEST(`${what} must be text of at most ${MAX_LABEL_LENGTH} characters`)
  return value
}

const hasControlCharacters = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)

/**
 * Which host a request is for (the shell, or one grain), same-origin checks
 * for state-changing requests (CSRF), and the only redirect targets allowed
 * after login (`next`).
 */
import { isId } from '../../core/ids.js'

export type HostKind = { kind: 'shell' } | { kind: 'grain', grainId: string }

/** The host name (lowercase, without port) of a Host header. */
export const hostOnly = (host: string | undefined): string => (host ?? '').replace(/:\d+$/, '').toLowerCase()

/**
 * Classifies a Host header against the base domain (host name part): `<id>.<domain>` is a grain; anything else is
 * the shell (so the shell also answers on an address like 127.0.0.1).
 */
export function classifyHost (host: string | undefined, baseHost: string): HostKind {
  const name = hostOnly(host)
  if (name.endsWith('.' + baseHost)) {
    const label = name.slice(0, -baseHost.length - 1)
    if (isId(label)) return { kind: 'grain', grainId: label }
  }
  return { kind: 'shell' }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
export const isStateChanging = (method: string): boolean => !SAFE_METHODS.has(method)

/**
 * Where a request says it comes from: its Origin header, else the origin of its Referer, else undefined.
 * `null` (an opaque origin) is returned as the string "null", which never matches.
 */
export function claimedOrigin (headers: Record<string, string | string[] | undefined>): string | undefined {
  const origin = headers.origin
  if (typeof origin === 'string') return origin
  const referer = headers.referer
  if (typeof referer !== 'string') return undefined
  try {
    return new URL(referer).origin
  } catch {
    return 'null'
  }
}

/** True when `origin` is exactly the HTTPS origin of the Host the request was sent to. */
export const isSameOrigin = (origin: string, host: string | undefined): boolean =>
  host !== undefined && origin.toLowerCase() === `https://${host.toLowerCase()}`

/** A safe place to go after login: a path on our own origin, else "/". Never another host, scheme or `//host`. */
export function safeNext (next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return '/'
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(next)) return '/'
  try {
    // Resolve against a dummy origin: anything that leaves it is refused.
    const url = new URL(next, 'https://granary.invalid')
    return url.origin === 'https://granary.invalid' ? url.pathname + url.search + url.hash : '/'
  } catch {
    return '/'
  }
}

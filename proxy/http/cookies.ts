/**
 * The proxy's cookies. All are `__Host-` cookies: the browser only accepts
 * them with `Secure`, `Path=/` and no `Domain`, so each stays on the exact
 * host that set it (the shell's cookie never reaches a grain host, a grain's
 * never reaches the shell or another grain) and no sibling host can plant one.
 */
export const SHELL_COOKIE = '__Host-granary-session'
export const GRAIN_COOKIE = '__Host-granary-grain'
export const OIDC_FLOW_COOKIE = '__Host-granary-oidc'
/** Every cookie name the proxy owns starts with this; they are removed before a request reaches a grain. */
export const OWN_COOKIE_PREFIX = '__Host-granary-'

/** The first value of cookie `name` in a Cookie header, or undefined. */
export function readCookie (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** A Set-Cookie value: host-only, Secure, HttpOnly, SameSite=Lax; `maxAgeS` 0 deletes it. */
export function setCookie (name: string, value: string, maxAgeS?: number): string {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax${maxAgeS !== undefined ? `; Max-Age=${maxAgeS}` : ''}`
}

export const clearCookie = (name: string): string => setCookie(name, '', 0)

/** The Cookie header without any of the proxy's own cookies; undefined if nothing is left. */
export function withoutOwnCookies (header: string | undefined): string | undefined {
  if (header === undefined || !header.includes(OWN_COOKIE_PREFIX)) return header
  const kept = header.split(';').filter((part) => !part.trim().startsWith(OWN_COOKIE_PREFIX)).map((p) => p.trim()).filter((p) => p !== '')
  return kept.length === 0 ? undefined : kept.join('; ')
}

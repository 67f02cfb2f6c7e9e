/**
 * The headers the proxy sets on every request it forwards to a grain (the
 * grain contract, DESIGN.md). One constant spells them; the same constant
 * decides what is stripped from the client's request, so a client can never
 * send any of them through, in any spelling: header names arrive lowercased
 * from Node, and names that differ only by `_` for `-` (which some app
 * frameworks treat alike) are stripped too.
 */
import { createHmac } from 'node:crypto'

export const GRAIN_HEADERS = {
  permissions: 'x-permissions',
  userId: 'x-user-id',
  userName: 'x-user-name',
  grainId: 'x-grain-id',
  sessionType: 'x-session-type',
  forwardedProto: 'x-forwarded-proto',
  forwardedHost: 'x-forwarded-host',
} as const

/** Also removed, never set: other forwarding headers a client could use to lie about where it is. */
const ALSO_STRIPPED = ['forwarded', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-prefix', 'x-real-ip']

const STRIPPED = new Set<string>([...Object.values(GRAIN_HEADERS), ...ALSO_STRIPPED])

/** True for a header name the client must not send to a grain. */
export const isReservedHeader = (name: string): boolean => STRIPPED.has(name.toLowerCase().replace(/_/g, '-'))

export type SessionType = 'browser' | 'anonymous' | 'api'

export interface GrainIdentity {
  grainId: string
  permissions: readonly string[]
  sessionType: SessionType
  /** Absent for anonymous visitors. */
  userId?: string
  displayName?: string
}

/** The X-User-Id of a user in a grain: HMAC(server secret, user, grain), 32 hex characters; unlinkable across grains. */
export function grainUserId (secret: string, userId: string, grainId: string): string {
  return createHmac('sha256', secret).update(`${userId}\n${grainId}`).digest('hex').slice(0, 32)
}

// Recent X-User-Ids, so the hot path does not recompute the HMAC for every request of the same user and grain.
const USER_ID_CACHE_SIZE = 10_000
const userIds = new Map<string, string>()
function cachedGrainUserId (secret: string, userId: string, grainId: string): string {
  const key = `${secret}\n${userId}\n${grainId}`
  let id = userIds.get(key)
  if (id === undefined) {
    id = grainUserId(secret, userId, grainId)
    if (userIds.size >= USER_ID_CACHE_SIZE) userIds.clear()
    userIds.set(key, id)
  }
  return id
}

/** Removes every reserved header (in place) and sets the proxy's own. */
export function injectGrainHeaders (headers: Record<string, string | string[] | number | undefined>, who: GrainIdentity, secret: string, publicHost: string): void {
  for (const name of Object.keys(headers)) if (isReservedHeader(name)) delete headers[name]
  headers[GRAIN_HEADERS.permissions] = who.permissions.join(',')
  headers[GRAIN_HEADERS.grainId] = who.grainId
  headers[GRAIN_HEADERS.sessionType] = who.sessionType
  headers[GRAIN_HEADERS.forwardedProto] = 'https'
  headers[GRAIN_HEADERS.forwardedHost] = publicHost
  if (who.userId !== undefined) {
    headers[GRAIN_HEADERS.userId] = cachedGrainUserId(secret, who.userId, who.grainId)
    headers[GRAIN_HEADERS.userName] = encodeURIComponent(who.displayName ?? '')
  }
}

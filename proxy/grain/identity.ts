/**
 * Who is making a request to a grain host, and what they may do there: a
 * grain session cookie (a user, or an anonymous visitor through a sharing
 * link) or a grain API token (`Authorization: Bearer`). The common case (a
 * cookie) usually costs no Redis round trip: grain sessions are cached, and
 * the solved share graph is answered from memory while the grain-changes
 * feed vouches for it (core/sharing/change-feed.ts); otherwise one.
 */
import { linkPrincipal, tokenPrincipal, userPrincipal, type Principal, type SharingService } from '../../core/sharing/index.js'
import { GRAIN_ERR_NOT_FOUND } from '../../core/errors.js'
import type { SessionStore } from '../auth/sessions.js'
import { GRAIN_COOKIE, readCookie } from '../http/cookies.js'
import type { GrainIdentity } from './headers.js'

export type IdentityResult =
  | { ok: true, identity: GrainIdentity, principal: Principal, via: 'cookie' | 'bearer', sessionId?: string }
  | { ok: false, reason: 'no-session' | 'no-access' | 'no-grain' | 'bad-token' }

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,128})$/

export interface IdentityDeps { sessions: SessionStore, sharing: SharingService, displayName: (userId: string) => Promise<string> }

export async function resolveGrainIdentity (deps: IdentityDeps, grainId: string, headers: { cookie?: string | undefined, authorization?: string | undefined }): Promise<IdentityResult> {
  try {
    if (headers.authorization !== undefined) {
      const secret = BEARER.exec(headers.authorization)?.[1]
      const token = secret === undefined ? undefined : await deps.sharing.resolveToken(secret)
      if (token === undefined || token.grainId !== grainId) return { ok: false, reason: 'bad-token' }
      if (token.permissions.length === 0) return { ok: false, reason: 'no-access' }
      return {
        ok: true, via: 'bearer', principal: tokenPrincipal(token.tokenId),
        identity: { grainId, permissions: token.permissions, sessionType: 'api', userId: token.userId, displayName: await deps.displayName(token.userId) },
      }
    }
    const sessionId = readCookie(headers.cookie, GRAIN_COOKIE)
    if (sessionId === undefined) return { ok: false, reason: 'no-session' }
    const [session, snapshot] = await Promise.all([deps.sessions.get(sessionId, 'grain', grainId), deps.sharing.requestSnapshot(grainId)])
    if (session === undefined) return { ok: false, reason: 'no-session' }
    const principal = session.userId === '' ? linkPrincipal(session.linkId ?? '') : userPrincipal(session.userId)
    const permissions = snapshot.solution.permissionsOf(principal)
    if (permissions.length === 0) return { ok: false, reason: 'no-access' }
    const identity: GrainIdentity = session.userId === ''
      ? { grainId, permissions, sessionType: 'anonymous' }
      : { grainId, permissions, sessionType: 'browser', userId: session.userId, displayName: session.displayName }
    return { ok: true, via: 'cookie', principal, identity, sessionId }
  } catch (err) {
    if (err instanceof GRAIN_ERR_NOT_FOUND) return { ok: false, reason: 'no-grain' }
    throw err
  }
}

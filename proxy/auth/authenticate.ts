/**
 * Who is calling the API: a shell session cookie or `Authorization: Bearer
 * <api token>`, resolved once per request into `request.auth`. Also the CSRF
 * rule: a state-changing call from a browser (anything not using a Bearer
 * token) must carry a same-origin `Origin` (or `Referer`); a call that carries
 * cookies but no origin at all is refused too.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AUTH_ERR_CSRF, AUTH_ERR_NOT_ADMIN, ERR_UNAUTHORIZED } from '../../core/errors.js'
import type { User } from '../../core/users.js'
import { SHELL_COOKIE, readCookie } from '../http/cookies.js'
import { claimedOrigin, isSameOrigin, isStateChanging } from '../http/origins.js'

export interface Auth {
  user: User
  via: 'cookie' | 'bearer'
  /** The session id, when `via` is `cookie`. */
  sessionId?: string
}

declare module 'fastify' {
  interface FastifyRequest { auth: Auth | null }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,128})$/

async function resolveAuth (app: FastifyInstance, request: FastifyRequest): Promise<Auth | null> {
  const { sessions, apiTokens, users } = app.services
  const authorization = request.headers.authorization
  if (authorization !== undefined) {
    const token = BEARER.exec(authorization)?.[1]
    const userId = token === undefined ? undefined : await apiTokens.resolve(token)
    if (userId === undefined) throw new ERR_UNAUTHORIZED()
    const user = await users.get(userId)
    return user === undefined || user.disabled ? null : { user, via: 'bearer' }
  }
  const sessionId = readCookie(request.headers.cookie, SHELL_COOKIE)
  if (sessionId === undefined) return null
  const session = await sessions.get(sessionId, 'shell')
  if (session === undefined) return null
  const user = await users.get(session.userId)
  return user === undefined || user.disabled ? null : { user, via: 'cookie', sessionId }
}

export const authenticate = fp(async function authenticate (app: FastifyInstance) {
  app.decorateRequest('auth', null)
  app.addHook('onRequest', async (request) => {
    request.auth = await resolveAuth(app, request)
    if (isStateChanging(request.method) && request.auth?.via !== 'bearer') {
      const origin = claimedOrigin(request.headers)
      if (origin === undefined ? request.headers.cookie !== undefined : !isSameOrigin(origin, request.headers.host)) throw new AUTH_ERR_CSRF()
    }
  })
}, { name: 'granary-authenticate', dependencies: ['granary-services'] })

/** The logged-in user, or ERR_UNAUTHORIZED (401). */
export function requireUser (request: FastifyRequest): User {
  if (request.auth === null) throw new ERR_UNAUTHORIZED()
  return request.auth.user
}

/** The logged-in admin, or 401/403. */
export function requireAdmin (request: FastifyRequest): User {
  const user = requireUser(request)
  if (user.role !== 'admin') throw new AUTH_ERR_NOT_ADMIN()
  return user
}

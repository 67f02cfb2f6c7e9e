/**
 * OpenID Connect login routes.
 *
 * | route | answer |
 * | --- | --- |
 * | `GET /api/session/providers` | {providers: [{id, name}]} |
 * | `GET /api/session/oidc/:provider?next=/path&link=1` | 302 to the provider; `link=1` (logged in) links the identity to the current account |
 * | `GET /api/session/oidc/:provider/callback` | 302 to `next` (a path on this origin only), logged in with a fresh session |
 *
 * Both `oidc` routes are only ever reached by a browser navigating (the login
 * page's link, the provider's redirect), so a failure answers a redirect too,
 * never a JSON page: 302 to `LOGIN_FAILED_PATH?error=<code>` with the error's
 * code from `core/errors.ts` (`OIDC_ERR_DENIED`, `OIDC_ERR_EXPIRED`,
 * `OIDC_ERR_FAILED`, `OIDC_ERR_UNKNOWN_PROVIDER`, `OIDC_ERR_ALREADY_LINKED`,
 * `AUTH_ERR_DISABLED`, `ERR_UNAVAILABLE`, ...). Only the code travels: the
 * login page turns it into its own words, so a crafted link cannot make it
 * show text of someone else's choosing.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ERR_BAD_REQUEST, ERR_UNAUTHORIZED } from '../../core/errors.js'
import { statusOf } from '../../core/http-errors.js'
import type { OidcLogin } from '../auth/oidc.js'
import { FLOW_TTL_S } from '../auth/oidc.js'
import { OIDC_FLOW_COOKIE, clearCookie, readCookie, setCookie } from '../http/cookies.js'
import { safeNext } from '../http/origins.js'
import { startShellSession } from './session-routes.js'

const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }) })
const StartQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })), link: Type.Optional(Type.Literal('1')) })

/** The shell's login screen (hash-routed), where a failed login lands with `?error=<code>`. */
export const LOGIN_FAILED_PATH = '/#/login'

/** Where a browser goes after a failed login: the login screen, told the error's code. */
export const loginFailedUrl = (code: string): string => `${LOGIN_FAILED_PATH}?error=${encodeURIComponent(code)}`

/** Sends the browser back to the login screen with the error's code (a route-level error handler). */
function backToLogin (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = statusOf(err)
  // An internal error's code says nothing useful and may say too much; a 503 names what is down.
  const code = err.validation !== undefined ? 'ERR_BAD_REQUEST' : status >= 500 && status !== 503 ? 'ERR_INTERNAL' : (err.code ?? 'ERR_BAD_REQUEST')
  if (status >= 500) request.log.error({ err }, 'OpenID Connect login failed')
  else request.log.info({ code, reason: err.message }, 'OpenID Connect login refused')
  if (!reply.hasHeader('set-cookie')) reply.header('set-cookie', clearCookie(OIDC_FLOW_COOKIE))
  return reply.header('cache-control', 'no-store').redirect(loginFailedUrl(code), 302)
}
const Redirect = (description: string) => ({ 302: Type.Null({ description }) })

export async function oidcRoutes (app: FastifyInstance, opts: { oidc: OidcLogin }): Promise<void> {
  const { oidc } = opts

  app.get('/api/session/providers', {
    schema: { tags: ['session'], summary: 'Login providers', response: { 200: Type.Object({ providers: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })) }) } },
  }, async () => ({ providers: oidc.providers() }))

  app.get<{ Params: Static<typeof ProviderParams>, Querystring: Static<typeof StartQuery> }>('/api/session/oidc/:provider', {
    schema: { tags: ['session'], summary: 'Start an OpenID Connect login (or link, with link=1)', params: ProviderParams, querystring: StartQuery, response: Redirect('to the provider; on failure to /#/login?error=<code>') },
    errorHandler: backToLogin,
  }, async (request, reply) => {
    const host = request.headers.host
    if (host === undefined || !/^[a-z0-9.-]+(:\d+)?$/i.test(host)) throw new ERR_BAD_REQUEST('bad Host header')
    let linkTo: string | undefined
    if (request.query.link === '1') {
      if (request.auth === null || request.auth.via !== 'cookie') throw new ERR_UNAUTHORIZED()
      linkTo = request.auth.user.id
    }
    const { flowId, url } = await oidc.start(request.params.provider, {
      redirectUri: `https://${host.toLowerCase()}/api/session/oidc/${request.params.provider}/callback`,
      next: safeNext(request.query.next),
      ...(linkTo !== undefined ? { linkTo } : {}),
    })
    return reply.header('set-cookie', setCookie(OIDC_FLOW_COOKIE, flowId, FLOW_TTL_S)).header('cache-control', 'no-store').redirect(url, 302)
  })

  app.get<{ Params: Static<typeof ProviderParams> }>('/api/session/oidc/:provider/callback', {
    schema: { tags: ['session'], summary: 'OpenID Connect callback', params: ProviderParams, response: Redirect('to `next`, logged in; on failure to /#/login?error=<code>') },
    errorHandler: backToLogin,
  }, async (request, reply) => {
    reply.header('set-cookie', clearCookie(OIDC_FLOW_COOKIE)).header('cache-control', 'no-store')
    const flowId = readCookie(request.headers.cookie, OIDC_FLOW_COOKIE)
    const result = await oidc.finish(request.params.provider, flowId, new URL(request.url, 'https://callback.invalid'))
    if (!result.linked) {
      if (request.auth?.sessionId !== undefined) await app.services.sessions.delete(request.auth.sessionId)
      await startShellSession(app, reply, result.user, `oidc:${request.params.provider}`)
    }
    return reply.redirect(safeNext(result.next), 302)
  })
}

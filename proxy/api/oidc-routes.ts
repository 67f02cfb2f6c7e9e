/**
 * OpenID Connect login routes.
 *
 * | route | answer |
 * | --- | --- |
 * | `GET /api/session/providers` | {providers: [{id, name}]} |
 * | `GET /api/session/oidc/:provider?next=/path&link=1` | 302 to the provider; `link=1` (logged in) links the identity to the current account |
 * | `GET /api/session/oidc/:provider/callback` | 302 to `next` (a path on this origin only), logged in with a fresh session; 400 if the login failed or was denied |
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ERR_BAD_REQUEST, ERR_UNAUTHORIZED } from '../../core/errors.js'
import type { OidcLogin } from '../auth/oidc.js'
import { FLOW_TTL_S } from '../auth/oidc.js'
import { OIDC_FLOW_COOKIE, clearCookie, readCookie, setCookie } from '../http/cookies.js'
import { safeNext } from '../http/origins.js'
import { startShellSession } from './session-routes.js'
import { errors } from './schemas.js'

const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }) })
const StartQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })), link: Type.Optional(Type.Literal('1')) })

export async function oidcRoutes (app: FastifyInstance, opts: { oidc: OidcLogin }): Promise<void> {
  const { oidc } = opts

  app.get('/api/session/providers', {
    schema: { tags: ['session'], summary: 'Login providers', response: { 200: Type.Object({ providers: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })) }) } },
  }, async () => ({ providers: oidc.providers() }))

  app.get<{ Params: Static<typeof ProviderParams>, Querystring: Static<typeof StartQuery> }>('/api/session/oidc/:provider', {
    schema: { tags: ['session'], summary: 'Start an OpenID Connect login (or link, with link=1)', params: ProviderParams, querystring: StartQuery, response: errors(400, 401, 404, 503) },
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
    schema: { tags: ['session'], summary: 'OpenID Connect callback', params: ProviderParams, response: errors(400, 403, 404, 409, 503) },
  }, async (request, reply) => {
    reply.header('set-cookie', clearCookie(OIDC_FLOW_COOKIE)).header('cache-control', 'no-store')
    const flowId = readCookie(request.headers.cookie, OIDC_FLOW_COOKIE)
    const result = await oidc.finish(request.params.provider, flowId, new URL(request.url, 'https://callback.invalid'))
    if (!result.linked) {
      if (request.auth?.sessionId !== undefined) await app.services.sessions.delete(request.auth.sessionId)
      await startShellSession(app, reply, result.user)
    }
    return reply.redirect(safeNext(result.next), 302)
  })
}

/**
 * The proxy: the only public entry point. Serves the public API, logs users
 * in and routes grain traffic. `build()` never listens.
 */
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { httpErrors } from '../core/http-errors.js'
import { redisAnswers, redisPlugin } from '../core/redis.js'
import type { ProxyConfig } from '../core/settings.js'
import { adminRoutes } from './api/admin-routes.js'
import { oidcRoutes } from './api/oidc-routes.js'
import { sessionRoutes } from './api/session-routes.js'
import { tokenRoutes } from './api/token-routes.js'
import { ensureAdmin } from './auth/admin-setup.js'
import { authenticate } from './auth/authenticate.js'
import { oidcLogin } from './auth/oidc.js'
import { parseOidcProviders, type OidcProviderConfig } from './auth/oidc-providers.js'
import type { SessionTimes } from './auth/sessions.js'
import type { ControlPlaneClient } from './control-plane-client.js'
import { makeServices } from './services.js'
import { HSTS_VALUE, httpsOptions, type TlsMaterial } from './tls.js'
import { uiRoutes } from './ui-plugin.js'

export interface ProxyOptions {
  config: ProxyConfig
  controlPlane: ControlPlaneClient
  /** Serve HTTPS with this certificate (TLS 1.2 at least); omitted in tests that use `inject()`. */
  tls?: TlsMaterial
  redisUrl?: string
  redisKeyPrefix?: string
  sessionTimes?: SessionTimes
  /** OpenID Connect providers; default: parsed from `config.oidcProviders`. */
  oidcProviders?: OidcProviderConfig[]
  /** Tests only: allow `http://` OpenID issuers on loopback. */
  oidcAllowInsecureRequests?: boolean
  logger?: FastifyServerOptions['logger']
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when the admin still needs a password: the token of the one-time setup link (`/setup#<token>`). */
    setupToken: string | undefined
  }
}

export async function build (opts: ProxyOptions): Promise<FastifyInstance> {
  const base: FastifyServerOptions = { logger: opts.logger ?? false, bodyLimit: opts.config.bodyLimitBytes, trustProxy: false }
  // fastify types an HTTPS instance differently; every route here is agnostic of the transport.
  const app = (opts.tls !== undefined ? Fastify({ ...base, https: httpsOptions(opts.tls) } as FastifyServerOptions) : Fastify(base)) as unknown as FastifyInstance
  const providers = opts.oidcProviders ?? parseOidcProviders(opts.config.oidcProviders)
  const redisUrl = opts.redisUrl ?? opts.config.redisUrl
  if (redisUrl === undefined) throw new Error('the proxy needs REDIS_URL')
  await app.register(httpErrors)
  app.addHook('onSend', async (_request, reply) => { reply.header('strict-transport-security', HSTS_VALUE) })
  await app.register(redisPlugin, { url: redisUrl, ...(opts.redisKeyPrefix !== undefined ? { keyPrefix: opts.redisKeyPrefix } : {}) })
  await app.register(fp(async (instance: FastifyInstance) => {
    instance.decorate('services', makeServices(instance.redis, opts.controlPlane, opts.sessionTimes))
  }, { name: 'granary-services', dependencies: ['granary-redis'] }))
  await app.register(swagger, { openapi: { info: { title: 'Granary API', version: '1' }, components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } } })

  await app.register(uiRoutes, { baseDomain: opts.config.baseDomain, ...(opts.config.publicPort !== undefined ? { publicPort: opts.config.publicPort } : {}) })

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    const [redis, cp] = await Promise.all([redisAnswers(app.redis), opts.controlPlane.health()])
    const body = { ok: redis && cp?.ok === true, redis, controlPlane: cp !== undefined, docker: cp?.docker ?? false }
    return reply.code(body.ok ? 200 : 503).send(body)
  })

  await app.register(async function api (api: FastifyInstance) {
    await api.register(authenticate)
    await api.register(sessionRoutes)
    await api.register(adminRoutes)
    await api.register(tokenRoutes)
    await api.register(oidcRoutes, { oidc: oidcLogin({ redis: app.redis, users: app.services.users, providers, allowInsecureRequests: opts.oidcAllowInsecureRequests === true }) })
    api.get('/api/docs/json', { schema: { hide: true } }, async () => app.swagger())
  })

  const { setupToken } = await ensureAdmin(app.redis, app.services, opts.config.adminPassword)
  app.decorate('setupToken', setupToken)
  return app
}

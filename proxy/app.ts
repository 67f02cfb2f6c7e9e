/**
 * The proxy: the only public entry point. Serves the public API, logs users
 * in and routes grain traffic. `build()` never listens.
 */
import { randomBytes } from 'node:crypto'
import swagger from '@fastify/swagger'
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { httpErrors } from '../core/http-errors.js'
import { connectRedis, redisAnswers, redisPlugin } from '../core/redis.js'
import { redisChangeFeed } from '../core/sharing/change-feed.js'
import type { ProxyConfig } from '../core/settings.js'
import { adminAuditRoutes } from './api/admin-audit-routes.js'
import { adminGrainRoutes } from './api/admin-grain-routes.js'
import { adminRoutes } from './api/admin-routes.js'
import { oidcRoutes } from './api/oidc-routes.js'
import { sessionRoutes } from './api/session-routes.js'
import { grainRoutes } from './api/grain-routes.js'
import { sharingRoutes } from './api/sharing-routes.js'
import { appPublishRoutes } from './api/app-publish-routes.js'
import { grainArchivePublicRoutes } from './api/grain-archive-routes.js'
import { tokenRoutes } from './api/token-routes.js'
import type { AppsClient } from '../core/apps-client.js'
import type { GrainArchiveClient } from '../core/grain-archive-client.js'
import { redisAppStore } from '../core/apps.js'
import { storeAppDirectory, type AppDirectory } from './apps.js'
import { ensureAdmin } from './auth/admin-setup.js'
import { authenticate } from './auth/authenticate.js'
import { oidcLogin } from './auth/oidc.js'
import { parseOidcProviders, type OidcProviderConfig } from './auth/oidc-providers.js'
import type { ScryptParams } from './auth/passwords.js'
import type { SessionTimes } from './auth/sessions.js'
import type { ControlPlaneClient } from './control-plane-client.js'
import { accessReporter } from './grain/access-reporter.js'
import { GRAIN_ROUTE_PREFIX, grainAwareServer, grainProxy } from './grain/grain-proxy.js'
import { grainRequests, type GrainRequestHandler } from './grain/grain-requests.js'
import { upstreams } from './grain/upstreams.js'
import { grainSockets } from './grain/websockets.js'
import { classifyHost } from './http/origins.js'
import { makeServices, sessionsEndedChannel } from './services.js'
import { HSTS_VALUE, hostnameOf, type TlsMaterial } from './tls.js'
import { uiRoutes } from './ui-plugin.js'

export interface ProxyOptions {
  config: ProxyConfig
  controlPlane: ControlPlaneClient
  /** Serve HTTPS with this certificate (TLS 1.2 at least); omitted in tests that use `inject()`. */
  tls?: TlsMaterial
  redisUrl?: string
  redisKeyPrefix?: string
  sessionTimes?: SessionTimes
  /** scrypt cost for new password hashes (tests use a cheap one); default SCRYPT_PARAMS. */
  scryptParams?: ScryptParams
  /** OpenID Connect providers; default: parsed from `config.oidcProviders`. */
  oidcProviders?: OidcProviderConfig[]
  /** Tests only: allow `http://` OpenID issuers on loopback. */
  oidcAllowInsecureRequests?: boolean
  /** Publishes apps through the control plane (`POST /api/apps`); without it publishing answers 503. */
  appsPublisher?: AppsClient
  /** Grain export/import through the control plane; without it those routes answer 503. */
  grainArchives?: GrainArchiveClient
  /** Installed apps; default: the app store in Redis, mirrored in memory. */
  apps?: AppDirectory
  /** Secret for X-User-Id (HMAC of user and grain). server.ts passes a persisted one; default: random per process. */
  serverSecret?: string
  /** How long a request waits for a grain to start before a 503. */
  wakeTimeoutMs?: number
  /** How often grain access is reported to the control plane, and open WebSockets re-checked. */
  reportIntervalMs?: number
  logger?: FastifyServerOptions['logger']
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when the admin still needs a password: the token of the one-time setup link (`/setup#<token>`). */
    setupToken: string | undefined
  }
}

export async function build (opts: ProxyOptions): Promise<FastifyInstance> {
  const baseHost = hostnameOf(opts.config.baseDomain)
  const base: FastifyServerOptions = {
    logger: opts.logger ?? false,
    // No per-request logging: grain traffic is the hot path, and URLs may carry secrets.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.config.bodyLimitBytes,
    trustProxy: false,
    // Requests to a grain host are routed under one prefix, so no shell route ever answers on a grain host.
    rewriteUrl: (req) => classifyHost(req.headers.host, baseHost).kind === 'grain' ? GRAIN_ROUTE_PREFIX + (req.url ?? '/') : (req.url ?? '/'),
  }
  // Grain hosts are answered before fastify on the real server (the hot path); see grain/grain-proxy.ts.
  // Set once the grain request handler exists (it needs the services registered below).
  const grainRoute: { handle?: GrainRequestHandler } = {}
  const app = Fastify({ ...base, serverFactory: grainAwareServer(baseHost, opts.tls, () => grainRoute.handle) })
  const providers = opts.oidcProviders ?? parseOidcProviders(opts.config.oidcProviders)
  const redisUrl = opts.redisUrl ?? opts.config.redisUrl
  const secret = opts.serverSecret ?? randomBytes(32).toString('hex')
  if (redisUrl === undefined) throw new Error('the proxy needs REDIS_URL')
  await app.register(httpErrors)
  // A callback hook, not an async one: it runs on every grain response.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('strict-transport-security', HSTS_VALUE)
    done(null, payload)
  })
  // Auto-pipelining: the session and share-graph reads of one request (and of concurrent ones) share one write.
  await app.register(redisPlugin, { url: redisUrl, autoPipelining: true, ...(opts.redisKeyPrefix !== undefined ? { keyPrefix: opts.redisKeyPrefix } : {}) })
  const feed = await redisChangeFeed({
    publisher: app.redis,
    subscriber: connectRedis(redisUrl, { lazyConnect: true }),
    onError: (err) => app.log.warn({ err }, 'grain-changes feed'),
  })
  app.addHook('onClose', async () => { await feed.close() })
  await app.register(fp(async (instance: FastifyInstance) => {
    const apps = opts.apps ?? await storeAppDirectory(redisAppStore(instance.redis), undefined, (err) => instance.log.warn({ err }, 'reading the app store failed'))
    instance.addHook('onClose', async () => { apps.close() })
    instance.decorate('services', makeServices(instance.redis, {
      controlPlane: opts.controlPlane,
      apps,
      sessionTimes: opts.sessionTimes,
      scryptParams: opts.scryptParams,
      feed,
    }))
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
    await api.register(adminGrainRoutes)
    await api.register(adminAuditRoutes)
    await api.register(tokenRoutes)
    await api.register(grainRoutes, { baseHost })
    await api.register(sharingRoutes)
    await api.register(appPublishRoutes, { publisher: opts.appsPublisher })
    await api.register(grainArchivePublicRoutes, { archives: opts.grainArchives })
    await api.register(oidcRoutes, { oidc: oidcLogin({ redis: app.redis, users: app.services.users, providers, allowInsecureRequests: opts.oidcAllowInsecureRequests === true }) })
    api.get('/api/docs/json', { schema: { hide: true } }, async () => app.swagger())
  })

  // Ended sessions travel on the feed's connection, so a writer's settle() covers them too.
  await feed.listen(sessionsEndedChannel(app.redis), (message) => { app.services.sessions.forget(message) })
  const grainUpstreams = upstreams(opts.controlPlane, opts.wakeTimeoutMs)
  const reporter = accessReporter(opts.controlPlane, opts.reportIntervalMs, (err) => app.log.warn({ err }, 'access report failed'))
  app.addHook('onClose', async () => { await reporter.close() })
  const identity = {
    sessions: app.services.sessions,
    sharing: app.services.sharing,
    displayName: async (userId: string) => (await app.services.users.get(userId))?.displayName ?? '',
  }
  const grains = grainRequests({
    secret, upstreams: grainUpstreams, reporter, handoffs: app.services.handoffs, bodyLimit: opts.config.bodyLimitBytes, identity, log: app.log,
  })
  app.addHook('onClose', async () => { await grains.close() })
  await app.register(grainProxy, { baseHost, handle: grains.handle })
  await app.register(grainSockets, {
    baseHost, secret, upstreams: grainUpstreams, reporter, identity, feed, recheckIntervalMs: opts.reportIntervalMs,
  })

  const { setupToken } = await ensureAdmin(app.redis, app.services, opts.config.adminPassword)
  app.decorate('setupToken', setupToken)
  grainRoute.handle = grains.handle
  return app
}

/**
 * The proxy: the only public entry point. Serves the shell UI and the public
 * API, logs users in and routes grain traffic. `build()` never listens.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { httpErrors } from '../core/http-errors.js'
import { redisAnswers, redisPlugin } from '../core/redis.js'
import type { ProxyConfig } from '../core/settings.js'
import type { ControlPlaneClient } from './control-plane-client.js'
import { HSTS_VALUE, httpsOptions, type TlsMaterial } from './tls.js'

export interface ProxyOptions {
  config: ProxyConfig
  controlPlane: ControlPlaneClient
  /** Serve HTTPS with this certificate (TLS 1.2 at least); omitted in tests that use `inject()`. */
  tls?: TlsMaterial
  redisUrl?: string
  redisKeyPrefix?: string
  logger?: FastifyServerOptions['logger']
}

export async function build (opts: ProxyOptions): Promise<FastifyInstance> {
  const base: FastifyServerOptions = { logger: opts.logger ?? false, bodyLimit: opts.config.bodyLimitBytes, trustProxy: false }
  // fastify types an HTTPS instance differently; every route here is agnostic of the transport.
  const app = (opts.tls !== undefined ? Fastify({ ...base, https: httpsOptions(opts.tls) } as FastifyServerOptions) : Fastify(base)) as unknown as FastifyInstance
  const redisUrl = opts.redisUrl ?? opts.config.redisUrl
  if (redisUrl === undefined) throw new Error('the proxy needs REDIS_URL')
  await app.register(httpErrors)
  app.addHook('onSend', async (_request, reply) => { reply.header('strict-transport-security', HSTS_VALUE) })
  await app.register(redisPlugin, { url: redisUrl, ...(opts.redisKeyPrefix !== undefined ? { keyPrefix: opts.redisKeyPrefix } : {}) })

  app.get('/healthz', async (_request, reply) => {
    const [redis, cp] = await Promise.all([redisAnswers(app.redis), opts.controlPlane.health()])
    const body = { ok: redis && cp?.ok === true, redis, controlPlane: cp !== undefined, docker: cp?.docker ?? false }
    return reply.code(body.ok ? 200 : 503).send(body)
  })

  return app
}

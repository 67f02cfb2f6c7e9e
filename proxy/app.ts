/**
 * The proxy: the only public entry point. Serves the shell UI and the public
 * API, logs users in and routes grain traffic. `build()` never listens.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { httpErrors } from '../core/http-errors.js'
import { redisAnswers, redisPlugin } from '../core/redis.js'
import type { ProxyConfig } from '../core/settings.js'
import type { ControlPlaneClient } from './control-plane-client.js'
import { uiRoutes } from './ui-plugin.js'

export interface ProxyOptions {
  config: ProxyConfig
  controlPlane: ControlPlaneClient
  redisUrl?: string
  redisKeyPrefix?: string
  logger?: FastifyServerOptions['logger']
}

export async function build (opts: ProxyOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.config.bodyLimitBytes, trustProxy: false })
  const redisUrl = opts.redisUrl ?? opts.config.redisUrl
  if (redisUrl === undefined) throw new Error('the proxy needs REDIS_URL')
  await app.register(httpErrors)
  await app.register(redisPlugin, { url: redisUrl, ...(opts.redisKeyPrefix !== undefined ? { keyPrefix: opts.redisKeyPrefix } : {}) })

  await app.register(uiRoutes, { baseDomain: opts.config.baseDomain, ...(opts.config.publicPort !== undefined ? { publicPort: opts.config.publicPort } : {}) })

  app.get('/healthz', async (_request, reply) => {
    const [redis, cp] = await Promise.all([redisAnswers(app.redis), opts.controlPlane.health()])
    const body = { ok: redis && cp?.ok === true, redis, controlPlane: cp !== undefined, docker: cp?.docker ?? false }
    return reply.code(body.ok ? 200 : 503).send(body)
  })

  return app
}

/**
 * The control plane: owns grain containers through the Docker engine.
 * Reachable only through a Unix socket (or loopback) and only with the shared
 * secret in `CONTROL_SECRET_HEADER`: neither users nor grains can call it.
 * `build()` never listens; `server.ts` does.
 */
import { timingSafeEqual } from 'node:crypto'
import type Docker from 'dockerode'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { ERR_UNAUTHORIZED } from '../core/errors.js'
import { httpErrors } from '../core/http-errors.js'
import { CONTROL_SECRET_HEADER } from '../core/control-plane-protocol.js'
import { redisAnswers, redisPlugin } from '../core/redis.js'
import type { ControlPlaneConfig } from '../core/settings.js'
import { appsRoutes } from './apps-routes.js'
import { dockerAnswers, dockerPlugin } from './docker.js'

export interface ControlPlaneOptions {
  config: ControlPlaneConfig
  /** The shared secret callers must present. */
  secret: string
  /** Redis URL; defaults to `config.redisUrl`. */
  redisUrl?: string
  redisKeyPrefix?: string
  docker?: Docker
  logger?: FastifyServerOptions['logger']
}

function secretMatches (given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

export async function build (opts: ControlPlaneOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false })
  const redisUrl = opts.redisUrl ?? opts.config.redisUrl
  if (redisUrl === undefined) throw new Error('the control plane needs REDIS_URL')
  await app.register(httpErrors)
  await app.register(redisPlugin, { url: redisUrl, ...(opts.redisKeyPrefix !== undefined ? { keyPrefix: opts.redisKeyPrefix } : {}) })
  await app.register(dockerPlugin, { ...(opts.docker !== undefined ? { docker: opts.docker } : { socketPath: opts.config.dockerSocket }) })

  app.addHook('onRequest', async (request) => {
    if (!secretMatches(request.headers[CONTROL_SECRET_HEADER], opts.secret)) throw new ERR_UNAUTHORIZED()
  })

  app.get('/healthz', async () => {
    const [redis, docker] = await Promise.all([redisAnswers(app.redis), dockerAnswers(app.docker)])
    return { ok: redis && docker, redis, docker }
  })

  await app.register(appsRoutes, { maxImageBytes: opts.config.maxImageBytes })

  return app
}

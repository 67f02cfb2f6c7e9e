/**
 * The control plane: owns grain containers through the Docker engine.
 * Reachable only through a Unix socket (or loopback) and only with the shared
 * secret in `CONTROL_SECRET_HEADER`: neither users nor grains can call it.
 * `build()` never listens; `server.ts` does.
 */
import { timingSafeEqual } from 'node:crypto'
import type Docker from 'dockerode'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { ERR_UNAUTHORIZED } from '../core/errors.js'
import { httpErrors } from '../core/http-errors.js'
import { CONTROL_SECRET_HEADER } from '../core/control-plane-protocol.js'
import { redisAnswers, redisPlugin } from '../core/redis.js'
import type { ControlPlaneConfig } from '../core/settings.js'
import { appsRoutes } from './apps-routes.js'
import { redisGrainRecordStore } from '../core/grain-records.js'
import { redisAppStore } from '../core/apps.js'
import { redisSharingStore } from '../core/sharing/index.js'
import { catalogFromAppStore, type AppCatalog } from './app-catalog.js'
import { dockerAnswers, dockerPlugin } from './docker.js'
import { deleteGrainScopedKeys } from './grain-keys.js'
import { grainArchiveRoutes } from './grain-archive-routes.js'
import { grainRoutes } from './grains-routes.js'
import { GrainLifecycle } from './lifecycle.js'
import { redisRunStateStore } from './run-state.js'

export interface ControlPlaneOptions {
  config: ControlPlaneConfig
  /** The shared secret callers must present. */
  secret: string
  /** Redis URL; defaults to `config.redisUrl`. */
  redisUrl?: string
  redisKeyPrefix?: string
  docker?: Docker
  logger?: FastifyServerOptions['logger']
  /**
   * Where apps' manifests and images come from, or a function making it from
   * the app's Redis client (e.g. `(redis) => catalogFromAppStore(redisAppStore(redis))`).
   * Default: the app store in Redis (apps published through `POST /apps`).
   */
  catalog?: AppCatalog | ((redis: Redis) => AppCatalog)
  /** Labels put on every container and network this instance creates; it touches only containers carrying them (tests isolate themselves so). */
  grainLabels?: Record<string, string>
  /** Overrides `config.grainNetwork` (tests use a network of their own). */
  grainNetwork?: string
  /** Overrides `config.grainSweepIntervalMs`; 0: no periodic sweep. */
  sweepIntervalMs?: number
  /**
   * Called when a grain is deleted, after its container, data and every Redis
   * key under `keys.grainScope(grainId)` are gone, before its record is. The
   * sharing module hooks in here to drop indexes that live outside that scope.
   */
  onGrainDeleted?: (grainId: string) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance { lifecycle: GrainLifecycle }
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

  const { config } = opts
  const catalog = typeof opts.catalog === 'function' ? opts.catalog(app.redis) : (opts.catalog ?? catalogFromAppStore(redisAppStore(app.redis)))
  const grains = redisGrainRecordStore(app.redis)
  const sharingStore = redisSharingStore(app.redis)
  const lifecycle = new GrainLifecycle({
    docker: app.docker,
    grains,
    runs: redisRunStateStore(app.redis),
    catalog,
    settings: {
      dataDir: config.dataDir,
      network: opts.grainNetwork ?? config.grainNetwork,
      startTimeoutMs: config.grainStartTimeoutMs,
      pauseAfterMs: config.grainPauseAfterMs,
      idleTimeoutMs: config.grainIdleTimeoutMs,
      caps: { maxMemoryMb: config.maxGrainMemoryMb, maxCpus: config.maxGrainCpus, maxPids: config.maxGrainPids },
    },
    ...(opts.grainLabels !== undefined ? { extraLabels: opts.grainLabels } : {}),
    onGrainDeleted: async (grainId) => {
      // Sharing first: it reads the grain's links and tokens to drop their secrets' index entries.
      await sharingStore.removeGrain(grainId)
      await deleteGrainScopedKeys(app.redis, grainId)
      await opts.onGrainDeleted?.(grainId)
    },
    log: app.log as unknown as Logger,
  })
  app.decorate('lifecycle', lifecycle)
  // preClose: before the Redis client quits (onClose), so queued grain operations finish first.
  app.addHook('preClose', async () => { await lifecycle.close() })
  await lifecycle.start(opts.sweepIntervalMs ?? config.grainSweepIntervalMs)

  app.addHook('onRequest', async (request) => {
    if (!secretMatches(request.headers[CONTROL_SECRET_HEADER], opts.secret)) throw new ERR_UNAUTHORIZED()
  })

  app.get('/healthz', async () => {
    const [redis, docker] = await Promise.all([redisAnswers(app.redis), dockerAnswers(app.docker)])
    return { ok: redis && docker, redis, docker }
  })

  await app.register(appsRoutes, { maxImageBytes: opts.config.maxImageBytes })
  await app.register(grainRoutes, { lifecycle, grains, catalog, dataDir: config.dataDir })
  await app.register(grainArchiveRoutes, { grains, dataDir: config.dataDir, appExists: async (id) => (await catalog.get(id)) !== undefined, stopGrain: (id) => lifecycle.stop(id) })

  return app
}

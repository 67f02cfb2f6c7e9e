/**
 * The internal API's grain routes (contract: `core/control-plane-protocol.ts`):
 * create, list, get and delete grains; wake, stop and inspect their
 * containers; access reports; metrics. Registered by `app.ts` with the
 * lifecycle and stores already built.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { WakeAnswer } from '../core/control-plane-protocol.js'
import { APP_ERR_NOT_FOUND, GRAIN_ERR_NOT_FOUND } from '../core/errors.js'
import type { GrainRecordStore } from '../core/grain-records.js'
import { ID_PATTERN } from '../core/ids.js'
import type { AppCatalog } from './app-catalog.js'
import { ensureGrainDataDir } from './grain-data.js'
import type { GrainLifecycle } from './lifecycle.js'

const MAX_ACCESS_BATCH = 10_000

const GrainParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) })
const CreateGrainBody = Type.Object({
  appId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9-]{0,62}$' }),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  owner: Type.String({ pattern: ID_PATTERN }),
}, { additionalProperties: false })
const AccessBody = Type.Object({ grainIds: Type.Array(Type.String({ pattern: ID_PATTERN }), { maxItems: MAX_ACCESS_BATCH }) }, { additionalProperties: false })
const ListQuery = Type.Object({ owner: Type.Optional(Type.String({ pattern: ID_PATTERN })) }, { additionalProperties: false })

export interface GrainRoutesOptions {
  lifecycle: GrainLifecycle
  grains: GrainRecordStore
  catalog: AppCatalog
  dataDir: string
}

export const grainRoutes = fp(async function grainRoutes (app: FastifyInstance, opts: GrainRoutesOptions) {
  const { lifecycle, grains, catalog } = opts

  app.post<{ Body: Static<typeof CreateGrainBody> }>('/grains', { schema: { body: CreateGrainBody } }, async (request, reply) => {
    const entry = await catalog.get(request.body.appId)
    if (entry === undefined) throw new APP_ERR_NOT_FOUND(request.body.appId)
    const grain = await grains.create({ appId: entry.manifest.id, appVersion: entry.manifest.version, title: request.body.title, owner: request.body.owner })
    ensureGrainDataDir(opts.dataDir, grain.id)
    return reply.code(201).send(grain)
  })

  app.get<{ Querystring: Static<typeof ListQuery> }>('/grains', { schema: { querystring: ListQuery } }, async (request) => {
    return request.query.owner !== undefined ? grains.listOwnedBy(request.query.owner) : grains.listAll()
  })

  app.get('/grains/states', async () => lifecycle.states())

  app.get<{ Params: Static<typeof GrainParams> }>('/grains/:id', { schema: { params: GrainParams } }, async (request) => {
    const grain = await grains.get(request.params.id)
    if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(request.params.id)
    return grain
  })

  app.delete<{ Params: Static<typeof GrainParams> }>('/grains/:id', { schema: { params: GrainParams } }, async (request, reply) => {
    await lifecycle.remove(request.params.id)
    return reply.code(204).send()
  })

  app.post<{ Params: Static<typeof GrainParams> }>('/grains/:id/wake', { schema: { params: GrainParams } }, async (request): Promise<WakeAnswer> => {
    return lifecycle.wake(request.params.id)
  })

  app.post<{ Params: Static<typeof GrainParams> }>('/grains/:id/stop', { schema: { params: GrainParams } }, async (request, reply) => {
    if (await grains.get(request.params.id) === undefined) throw new GRAIN_ERR_NOT_FOUND(request.params.id)
    await lifecycle.stop(request.params.id)
    return reply.code(204).send()
  })

  app.get<{ Params: Static<typeof GrainParams> }>('/grains/:id/state', { schema: { params: GrainParams } }, async (request) => {
    return lifecycle.state(request.params.id)
  })

  app.post<{ Body: Static<typeof AccessBody> }>('/access', { schema: { body: AccessBody } }, async (request, reply) => {
    await lifecycle.touch(request.body.grainIds)
    return reply.code(204).send()
  })

  app.get('/metrics', async (_request, reply) => {
    return reply.type(lifecycle.metrics.registry.contentType).send(await lifecycle.metrics.registry.metrics())
  })
}, { name: 'granary-grain-routes' })

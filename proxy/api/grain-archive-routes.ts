/**
 * Grain backup and restore through the public API: authenticated forwards to
 * the control plane's archive routes (control-plane/grain-archive-routes.ts).
 *
 * | route | who | body | answer |
 * | --- | --- | --- | --- |
 * | `GET /api/grains/:id/export` | the grain's owner | | 200 `application/x-tar`: the grain's data and metadata (app, version, title) |
 * | `POST /api/grains/import[?title=]` | any user | `application/x-tar` (an export) | 201 `{grain}`: a new grain owned by the importer |
 *
 * Archives stream through; the control plane validates every entry (no path
 * escaping the data directory, no links out, size caps) and refuses archives of
 * apps that are not installed.
 */
import type { Readable } from 'node:stream'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ERR_FORBIDDEN, ERR_UNAVAILABLE, GRAIN_ERR_NOT_FOUND } from '../../core/errors.js'
import type { GrainArchiveClient } from '../../core/grain-archive-client.js'
import { errorBody } from '../../core/http-errors.js'
import { requireUser } from '../auth/authenticate.js'
import { relayRefusal } from './control-plane-refusals.js'
import { errors } from './schemas.js'

const TAR_TYPES = ['application/x-tar', 'application/octet-stream']
const GrainParams = Type.Object({ id: Type.String({ pattern: '^[a-z2-7]{8,40}$' }) })
const ImportQuery = Type.Object({ title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false })

export async function grainArchivePublicRoutes (app: FastifyInstance, opts: { archives: GrainArchiveClient | undefined }): Promise<void> {
  app.addContentTypeParser(TAR_TYPES, (_request, payload, done) => { done(null, payload) })
  const archives = (): GrainArchiveClient => {
    if (opts.archives === undefined) throw new ERR_UNAVAILABLE('grain export and import are not configured on this proxy')
    return opts.archives
  }

  app.get<{ Params: Static<typeof GrainParams> }>('/api/grains/:id/export', {
    schema: { tags: ['grains'], summary: 'Export a grain as a tar archive (owner)', params: GrainParams, response: errors(401, 403, 404, 503) },
  }, async (request, reply) => {
    const user = requireUser(request)
    const grain = await app.services.grains.get(request.params.id)
    if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(request.params.id)
    if (grain.owner !== user.id) throw new ERR_FORBIDDEN('only the grain\'s owner may export it')
    try {
      const tar = await archives().exportGrain(grain.id)
      await app.services.audit.record({ action: 'grain-export', actor: user.id, grainId: grain.id })
      const safeTitle = grain.title.replace(/[^A-Za-z0-9 ._-]/g, '_').slice(0, 80) || grain.id
      return reply.type('application/x-tar').header('content-disposition', `attachment; filename="${safeTitle}.granary.tar"`).send(tar)
    } catch (err) {
      return relayRefusal(reply, err, 'export the grain')
    }
  })

  app.post<{ Querystring: Static<typeof ImportQuery> }>('/api/grains/import', {
    schema: { tags: ['grains'], summary: 'Import a grain archive as a new grain of mine', querystring: ImportQuery, response: errors(400, 401, 403, 404, 413, 415, 503) },
  }, async (request, reply) => {
    const user = requireUser(request)
    const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim()
    if (!TAR_TYPES.includes(type)) return reply.code(415).send(errorBody('ERR_UNSUPPORTED_MEDIA_TYPE', 'send the grain archive as the body, Content-Type: application/x-tar'))
    const length = Number(request.headers['content-length'])
    try {
      const grain = await archives().importGrain({
        owner: user.id,
        tar: request.body as Readable,
        ...(request.query.title !== undefined ? { title: request.query.title } : {}),
        ...(Number.isSafeInteger(length) && length >= 0 ? { size: length } : {}),
      })
      await app.services.audit.record({ action: 'grain-import', actor: user.id, grainId: grain.id, details: { owner: user.id } })
      return reply.code(201).send({ grain: { ...grain, permissions: app.services.apps.get(grain.appId)?.permissions.map((p) => p.id) ?? [], mine: true } })
    } catch (err) {
      return relayRefusal(reply, err, 'import the grain')
    }
  })
}

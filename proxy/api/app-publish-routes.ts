/**
 * Publishing apps through the public API: a thin, authenticated forward to the
 * control plane's app routes (see `core/control-plane-protocol.ts`).
 *
 * | route | who | body | answer |
 * | --- | --- | --- | --- |
 * | `POST /api/apps` | admin or packager | `application/x-tar` (a `docker save` tarball) with `x-granary-manifest: <base64 manifest>` | 201 `{app}` |
 * | `POST /api/apps` | admin | JSON `{manifest, image?}`: an image already in the engine | 201 `{app}` |
 * | `DELETE /api/apps/:id[?force=true]` | admin | | 204 |
 *
 * The tarball is streamed to the control plane, never buffered here; the
 * control plane checks the manifest before reading the body and enforces
 * MAX_IMAGE_BYTES. Its refusals (4xx) reach the client as they are.
 */
import type { Readable } from 'node:stream'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { AppsClient } from '../../core/apps-client.js'
import { MANIFEST_HEADER } from '../../core/control-plane-protocol.js'
import { ERR_BAD_REQUEST, ERR_FORBIDDEN, ERR_UNAVAILABLE } from '../../core/errors.js'
import { requireAdmin, requireUser } from '../auth/authenticate.js'
import { relayRefusal } from './control-plane-refusals.js'
import { errors } from './schemas.js'

const TAR_TYPES = ['application/x-tar', 'application/octet-stream']
const AppParams = Type.Object({ id: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) })
const RemoveQuery = Type.Object({ force: Type.Optional(Type.Boolean()) })

export async function appPublishRoutes (app: FastifyInstance, opts: { publisher: AppsClient | undefined }): Promise<void> {
  // Tarballs stay streams: this parser only hands the request on (this plugin's routes only).
  app.addContentTypeParser(TAR_TYPES, (_request, payload, done) => { done(null, payload) })

  const publisher = (): AppsClient => {
    if (opts.publisher === undefined) throw new ERR_UNAVAILABLE('publishing apps is not configured on this proxy')
    return opts.publisher
  }
  app.post('/api/apps', {
    schema: { tags: ['apps'], summary: 'Publish an app or a new version (admin or packager)', response: errors(400, 401, 403, 409, 413, 415, 503) },
  }, async (request, reply) => {
    const user = requireUser(request)
    if (user.role !== 'admin' && user.role !== 'packager') throw new ERR_FORBIDDEN('only admins and packagers may publish apps')
    const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim()
    let publish: () => Promise<unknown>
    if (TAR_TYPES.includes(type)) {
      const header = request.headers[MANIFEST_HEADER]
      if (typeof header !== 'string' || header === '') throw new ERR_BAD_REQUEST(`send the manifest, base64-encoded, in the ${MANIFEST_HEADER} header`)
      const length = Number(request.headers['content-length'])
      publish = () => publisher().publishTar({
        manifestText: Buffer.from(header, 'base64').toString('utf8'),
        tar: request.body as Readable,
        ...(Number.isSafeInteger(length) && length >= 0 ? { size: length } : {}),
      })
    } else {
      // Naming an image already in the engine reaches anything the engine holds: admins only.
      requireAdmin(request)
      const body = request.body as { manifest?: unknown, image?: unknown } | undefined
      if (body === undefined || typeof body !== 'object' || body.manifest === undefined) throw new ERR_BAD_REQUEST('send {manifest, image?} as JSON, or a docker save tarball')
      publish = () => publisher().publishImage(body as Parameters<AppsClient['publishImage']>[0])
    }
    try {
      const published = await publish()
      await app.services.apps.refresh()
      return reply.code(201).send({ app: published })
    } catch (err) {
      return relayRefusal(reply, err, 'publish the app')
    }
  })

  app.delete<{ Params: Static<typeof AppParams>, Querystring: Static<typeof RemoveQuery> }>('/api/apps/:id', {
    schema: { tags: ['apps'], summary: 'Remove an app (admin); refused while grains use it unless force', params: AppParams, querystring: RemoveQuery, response: errors(400, 401, 403, 404, 409, 503) },
  }, async (request, reply) => {
    requireAdmin(request)
    try {
      await publisher().remove(request.params.id, request.query.force === true)
      await app.services.apps.refresh()
      return reply.code(204).send()
    } catch (err) {
      return relayRefusal(reply, err, 'remove the app')
    }
  })
}

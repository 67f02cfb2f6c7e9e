/**
 * The control plane's app routes: list, show, publish (manifest + image),
 * remove. The wire format is documented in `core/control-plane-protocol.ts`.
 *
 * Publishing never leaves half an app behind: the manifest is validated
 * before the body is read, the version is checked before the image is loaded,
 * and the record is written last, in one atomic step that re-checks the
 * version (see `AppStore.addVersion`).
 */
import { Stream, type Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'
import { redisAppStore, type AppRecord, type AppStore } from '../core/apps.js'
import { MANIFEST_HEADER, type AppSummary, type PublishAppRequest } from '../core/control-plane-protocol.js'
import { APP_ERR_BAD_IMAGE, APP_ERR_IMAGE_MISSING, APP_ERR_IMAGE_TOO_LARGE, APP_ERR_INVALID_MANIFEST, APP_ERR_IN_USE, APP_ERR_NOT_FOUND, APP_ERR_NOT_NEWER, ERR_BAD_REQUEST, ERR_UNSUPPORTED_MEDIA_TYPE } from '../core/errors.js'
import { redisGrainRecordStore } from '../core/grain-records.js'
import type { Manifest } from '../core/manifest/schema.js'
import { compareSemver } from '../core/manifest/semver.js'
import { MAX_MANIFEST_BYTES, describeProblem, isImageRef, parseManifest, validateManifest, type ManifestResult } from '../core/manifest/validate.js'
import { EMPTY_UPLOAD, loadImageTar, resolveImage } from './images.js'

declare module 'fastify' {
  interface FastifyInstance { apps: AppStore }
}

export interface AppsRoutesOptions {
  /** Largest image tarball accepted (MAX_IMAGE_BYTES). */
  maxImageBytes: number
}

const TAR_TYPES = ['application/x-tar', 'application/octet-stream']
const AppIdParams = Type.Object({ id: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) })

export function summaryOf (app: AppRecord): AppSummary {
  const m = app.current.manifest
  return {
    id: app.id,
    name: m.name,
    ...(m.icon !== undefined ? { icon: m.icon } : {}),
    version: app.current.version,
    versions: app.versions,
    imageId: app.current.imageId,
    manifest: m,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
  }
}

function manifestOrThrow (result: ManifestResult): Manifest {
  if (!result.ok) throw new APP_ERR_INVALID_MANIFEST(result.problems.map(describeProblem).join('; '))
  return result.manifest
}

function manifestFromHeader (value: string | string[] | undefined): Manifest {
  if (typeof value !== 'string' || value === '') throw new APP_ERR_INVALID_MANIFEST(`send the manifest, base64-encoded, in the ${MANIFEST_HEADER} header`)
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) throw new APP_ERR_INVALID_MANIFEST(`the ${MANIFEST_HEADER} header is not base64`)
  const text = Buffer.from(value, 'base64').toString('utf8')
  return manifestOrThrow(parseManifest(text, 'yaml'))
}

function manifestFromJson (manifest: unknown): Manifest {
  if (typeof manifest === 'string') return manifestOrThrow(parseManifest(manifest, 'yaml'))
  return manifestOrThrow(validateManifest(manifest))
}

async function checkNewer (apps: AppStore, manifest: Manifest): Promise<void> {
  const current = (await apps.get(manifest.id))?.current.version
  if (current !== undefined && compareSemver(manifest.version, current) <= 0) throw new APP_ERR_NOT_NEWER(manifest.id, manifest.version, current)
}

async function record (apps: AppStore, manifest: Manifest, imageRef: string, imageId: string): Promise<AppRecord> {
  const res = await apps.addVersion({ version: manifest.version, manifest, imageRef, imageId, createdAt: Date.now() })
  if (!res.ok) throw new APP_ERR_NOT_NEWER(manifest.id, manifest.version, res.current)
  return res.app
}

/** How long a refused upload may keep sending after its answer before the connection is cut. */
const DRAIN_AFTER_REFUSAL_MS = 10_000

/**
 * When an upload is answered before its body was read (refused early), Node
 * reads and discards the rest, so the client gets the answer rather than a
 * reset connection; a client that keeps sending for too long is cut off.
 */
function limitDrain (request: FastifyRequest, reply: FastifyReply): void {
  reply.raw.once('finish', () => {
    if (request.raw.complete) return
    request.raw.resume()
    const timer = setTimeout(() => request.raw.destroy(), DRAIN_AFTER_REFUSAL_MS)
    timer.unref()
    request.raw.once('end', () => clearTimeout(timer))
    request.raw.once('close', () => clearTimeout(timer))
  })
}

export const appsRoutes = fp(async function appsRoutes (app: FastifyInstance, opts: AppsRoutesOptions) {
  const apps = redisAppStore(app.redis)
  const grains = redisGrainRecordStore(app.redis)
  app.decorate('apps', apps)

  // Tarballs reach the handler as the raw request stream: nothing buffers them.
  app.addContentTypeParser(TAR_TYPES, (_request, payload, done) => { done(null, payload) })

  app.get('/apps', async () => (await apps.list()).map(summaryOf))

  app.get('/apps/:id', { schema: { params: AppIdParams } }, async (request) => {
    const { id } = request.params as { id: string }
    const found = await apps.get(id)
    if (found === undefined) throw new APP_ERR_NOT_FOUND(id)
    return summaryOf(found)
  })

  /** Form 2: `PublishAppRequest`, with an image already in the engine. */
  async function publishFromEngine (request: FastifyRequest): Promise<AppRecord> {
    const body = request.body as Partial<PublishAppRequest> | undefined
    if (typeof body !== 'object' || body === null || body.manifest === undefined) throw new ERR_BAD_REQUEST('send { manifest, image? } (or a tarball with the manifest in a header)')
    if (typeof body.manifest === 'string' && Buffer.byteLength(body.manifest) > MAX_MANIFEST_BYTES) throw new APP_ERR_INVALID_MANIFEST(`manifest is larger than ${MAX_MANIFEST_BYTES} bytes`)
    if (body.image !== undefined && (typeof body.image !== 'string' || !isImageRef(body.image))) throw new ERR_BAD_REQUEST('"image" must be an image reference, e.g. granary/notes:1.0.0')
    const manifest = manifestFromJson(body.manifest)
    await checkNewer(apps, manifest)
    const imageRef = body.image ?? manifest.image
    const imageId = await resolveImage(app.docker, imageRef)
    if (imageId === undefined) throw new APP_ERR_IMAGE_MISSING(`image ${imageRef} is not in the Docker engine: load it first, or upload it as a tarball`)
    return record(apps, manifest, imageRef, imageId)
  }

  /** Form 1: a `docker save` tarball streamed into the engine, the manifest in a header. */
  async function publishFromTarball (request: FastifyRequest, reply: FastifyReply): Promise<AppRecord> {
    limitDrain(request, reply)
    // Everything that can be refused from the headers is, before a byte of the body is read.
    const manifest = manifestFromHeader(request.headers[MANIFEST_HEADER])
    if (Number(request.headers['content-length'] ?? 0) > opts.maxImageBytes) throw new APP_ERR_IMAGE_TOO_LARGE(opts.maxImageBytes)
    await checkNewer(apps, manifest)
    // An empty body (content-length: 0) never reaches the content-type parser.
    if (!(request.body instanceof Stream)) throw new APP_ERR_BAD_IMAGE(EMPTY_UPLOAD)
    const loaded = await loadImageTar(app.docker, request.body as Readable, opts.maxImageBytes)
    const imageId = await resolveImage(app.docker, manifest.image)
    if (imageId === undefined || !loaded.ids.includes(imageId)) {
      throw new APP_ERR_IMAGE_MISSING(`the tarball holds ${loaded.refs.join(', ')}, not the manifest's image ${manifest.image}`)
    }
    request.log.info({ appId: manifest.id, bytes: loaded.bytes, refs: loaded.refs }, 'app image loaded')
    return record(apps, manifest, manifest.image, imageId)
  }

  app.post('/apps', async (request, reply) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    if (type !== 'application/json' && !TAR_TYPES.includes(type)) throw new ERR_UNSUPPORTED_MEDIA_TYPE(`send application/json or ${TAR_TYPES.join(' or ')}`)
    const saved = type === 'application/json' ? await publishFromEngine(request) : await publishFromTarball(request, reply)
    request.log.info({ appId: saved.id, version: saved.current.version, imageId: saved.current.imageId }, 'app published')
    return reply.code(201).send(summaryOf(saved))
  })

  app.delete('/apps/:id', { schema: { params: AppIdParams, querystring: Type.Object({ force: Type.Optional(Type.Boolean()) }) } }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const { force } = request.query as { force?: boolean }
    if (await apps.get(id) === undefined) throw new APP_ERR_NOT_FOUND(id)
    const using = (await grains.listAll()).filter((g) => g.appId === id)
    if (using.length > 0 && force !== true) throw new APP_ERR_IN_USE(id, using.length)
    await apps.delete(id)
    request.log.info({ appId: id, grains: using.length, force: force === true }, 'app removed')
    return reply.code(204).send()
  })
}, { name: 'granary-apps-routes', dependencies: ['granary-redis', 'granary-docker'] })

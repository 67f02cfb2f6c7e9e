/**
 * Internal API: grain export and import (archive format: `core/grain-archive.ts`).
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /grains/:id/export` | | 200 `application/x-tar`: `grain.json` + `data/**`; the grain is stopped first so its files are consistent (it wakes on its next request) |
 * | `POST /grains/import?owner=<userId>[&title=...]` | `application/x-tar` | 201 `GrainRecord` of a new grain owned by `owner`; 400 `GRAIN_ERR_ARCHIVE_INVALID`, 413 `GRAIN_ERR_ARCHIVE_TOO_LARGE`, 404 `APP_ERR_NOT_FOUND` for an app not installed |
 *
 * The proxy authenticates the user and forwards the public API's
 * `GET /api/grains/:id/export` and `POST /api/grains/import` here. An import
 * is unpacked into a hidden staging directory first; the grain record is made
 * only once the whole archive was accepted, then the directory is renamed into
 * place, so a refused archive leaves neither a record nor a file behind.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { APP_ERR_NOT_FOUND, GRAIN_ERR_NOT_FOUND } from '../core/errors.js'
import { packGrain, unpackGrain, type GrainArchiveLimits } from '../core/grain-archive.js'
import type { GrainRecordStore } from '../core/grain-records.js'
import { ID_PATTERN } from '../core/ids.js'
import { dataPaths } from '../core/paths.js'
import { GRAIN_UID } from './container-spec.js'

/** Imports are capped well below the platform-wide body limit unless told otherwise. */
export const DEFAULT_IMPORT_LIMITS: GrainArchiveLimits = { maxTotalBytes: 512 * 1024 * 1024, maxEntries: 50_000 }
const TAR_TYPES = ['application/x-tar', 'application/tar', 'application/octet-stream']

const GrainParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) })
const ImportQuery = Type.Object({
  owner: Type.String({ pattern: ID_PATTERN }),
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}, { additionalProperties: false })

export interface GrainArchiveRoutesOptions {
  grains: GrainRecordStore
  /** Granary's data directory: grain data lives in `<dataDir>/grains/<id>`. */
  dataDir: string
  /** True when an app with this id is installed; imports of other apps are refused. */
  appExists: (appId: string) => Promise<boolean>
  /** Stops the grain's container (if running) so an export reads settled files. Succeeds silently if it is not running. */
  stopGrain?: (grainId: string) => Promise<void>
  /** Owner of imported files (the uid grains run as), applied when running as root. */
  owner?: { uid: number, gid: number }
  limits?: Partial<GrainArchiveLimits>
}

/** Not a fastify-plugin on purpose: the raw tar body parser stays inside these routes. */
export async function grainArchiveRoutes (app: FastifyInstance, opts: GrainArchiveRoutesOptions): Promise<void> {
  const grainsDir = dataPaths(opts.dataDir).grains
  const limits = { ...DEFAULT_IMPORT_LIMITS, ...opts.limits }
  const owner = opts.owner ?? { uid: GRAIN_UID, gid: GRAIN_UID }
  const chownTo = process.getuid?.() === 0 ? owner : undefined

  // Hand the raw request stream to the route; size caps are enforced while unpacking.
  // (The app routes may already have registered the same pass-through parser on the root.)
  for (const type of TAR_TYPES) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, (_request, payload, done) => { done(null, payload) })
  }

  app.get<{ Params: Static<typeof GrainParams> }>('/grains/:id/export', { schema: { params: GrainParams } }, async (request, reply) => {
    const grain = await opts.grains.get(request.params.id)
    if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(request.params.id)
    await opts.stopGrain?.(grain.id)
    const dir = join(grainsDir, grain.id)
    // A grain never started has no data directory yet: it exports as empty.
    if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) await mkdir(dir, { recursive: true, mode: 0o700 })
    return reply
      .type('application/x-tar')
      .header('content-disposition', `attachment; filename="grain-${grain.id}.tar"`)
      .send(packGrain(dir, { appId: grain.appId, appVersion: grain.appVersion, title: grain.title, exportedAt: Date.now() }))
  })

  app.post<{ Querystring: Static<typeof ImportQuery> }>('/grains/import', { schema: { querystring: ImportQuery } }, async (request, reply) => {
    const body = request.body as NodeJS.ReadableStream | undefined
    if (body === undefined || typeof (body as { pipe?: unknown }).pipe !== 'function') {
      throw Object.assign(new Error('send the grain archive as the body, Content-Type: application/x-tar'), { statusCode: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' })
    }
    await mkdir(grainsDir, { recursive: true, mode: 0o711 })
    // Hidden (not an id), so nothing takes it for a grain while it fills.
    const staging = join(grainsDir, `.import-${randomBytes(8).toString('hex')}`)
    try {
      const meta = await unpackGrain(body as AsyncIterable<Buffer>, {
        targetDir: staging,
        limits,
        accept: async (m) => { if (!(await opts.appExists(m.appId))) throw new APP_ERR_NOT_FOUND(m.appId) },
        ...(chownTo !== undefined ? { owner: chownTo } : {}),
      })
      const grain = await opts.grains.create({ appId: meta.appId, appVersion: meta.appVersion, title: request.query.title ?? meta.title, owner: request.query.owner })
      try {
        await rename(staging, join(grainsDir, grain.id))
      } catch (err) {
        await opts.grains.delete(grain.id)
        throw err
      }
      request.log.info({ grainId: grain.id, appId: grain.appId }, 'grain imported')
      return reply.code(201).send(grain)
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
  })
}

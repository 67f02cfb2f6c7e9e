/**
 * Apps and grains.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /api/apps` | | {apps: manifests} |
 * | `POST /api/grains` | {appId, title} | 201 {grain}: created by the control plane, owned by the caller |
 * | `GET /api/grains` | | {grains}: owned and shared with me, each with my permissions |
 * | `DELETE /api/grains/:id` | | 204; owner (or admin) only; container, data and shares go (recorded in the audit log) |
 * | `POST /api/grains/:id/session` | {path?} | {url}: a one-time URL (60 s) that opens the grain on its own origin |
 * | `POST /api/links/open` | {secret} | {grainId, url}: opens a sharing link; logged in: redeems it; anonymous: only where link and app allow |
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { APP_ERR_NOT_FOUND, ERR_BAD_REQUEST, ERR_FORBIDDEN, ERR_UNAUTHORIZED, ERR_UNAVAILABLE, GRAIN_ERR_NOT_FOUND, LINK_ERR_NOT_FOUND } from '../../core/errors.js'
import type { GrainRecord } from '../../core/grain-records.js'
import { requireUser } from '../auth/authenticate.js'
import { HANDOFF_PATH, type Handoff } from '../grain/handoff.js'
import { safeNext } from '../http/origins.js'
import { IdParams, errors } from './schemas.js'

export const GrainSchema = Type.Object({
  id: Type.String(), appId: Type.String(), appVersion: Type.String(), title: Type.String(), owner: Type.String(),
  createdAt: Type.Integer(), lastUsedAt: Type.Integer(),
  permissions: Type.Array(Type.String()),
  mine: Type.Boolean(),
  ownerName: Type.Optional(Type.String({ description: 'the owner\'s display name, on grains shared with me' })),
})
const CreateBody = Type.Object({ appId: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }), title: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false })
const SessionBody = Type.Object({ path: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false })
const OpenLinkBody = Type.Object({ secret: Type.String({ minLength: 16, maxLength: 128 }) }, { additionalProperties: false })
const UrlAnswer = Type.Object({ url: Type.String() })

export async function grainRoutes (app: FastifyInstance, opts: { baseHost: string }): Promise<void> {
  const { controlPlane, grains, sharing, apps, handoffs, users } = app.services

  /** `https://<grainId>.<base domain>[:port]` with the port the shell was reached on. */
  const grainOrigin = (request: FastifyRequest, grainId: string): string => {
    const port = /:(\d+)$/.exec(request.headers.host ?? '')?.[1]
    return `https://${grainId}.${opts.baseHost}${port !== undefined && port !== '443' ? `:${port}` : ''}`
  }
  const handoffUrl = async (request: FastifyRequest, handoff: Handoff): Promise<string> =>
    `${grainOrigin(request, handoff.grainId)}${HANDOFF_PATH}?token=${await handoffs.create(handoff)}`

  app.get('/api/apps', {
    schema: { tags: ['grains'], summary: 'Installed apps', response: { 200: Type.Object({ apps: Type.Array(Type.Object({}, { additionalProperties: true })) }), ...errors(401) } },
  }, async (request) => {
    requireUser(request)
    return { apps: await apps.list() }
  })

  app.post<{ Body: Static<typeof CreateBody> }>('/api/grains', {
    schema: { tags: ['grains'], summary: 'Create a grain', body: CreateBody, response: { 201: Type.Object({ grain: GrainSchema }), ...errors(400, 401, 403, 404, 503) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    if (apps.get(request.body.appId) === undefined) await apps.refresh()
    if (apps.get(request.body.appId) === undefined) throw new APP_ERR_NOT_FOUND(request.body.appId)
    const res = await controlPlane.call<GrainRecord & { error?: { message?: string } }>('POST', '/grains', { ...request.body, owner: user.id })
    if (res.status === 404) throw new APP_ERR_NOT_FOUND(request.body.appId)
    if (res.status === 400) throw new ERR_BAD_REQUEST(res.body?.error?.message ?? 'bad grain')
    if (res.status !== 201) throw new ERR_UNAVAILABLE(`the control plane could not create the grain (${res.status})`)
    return reply.code(201).send({ grain: { ...res.body, permissions: apps.get(res.body.appId)?.permissions.map((p) => p.id) ?? [], mine: true } })
  })

  app.get('/api/grains', {
    schema: { tags: ['grains'], summary: 'My grains: owned and shared with me', response: { 200: Type.Object({ grains: Type.Array(GrainSchema) }), ...errors(401) } },
  }, async (request) => {
    const user = requireUser(request)
    const [owned, sharedIds] = await Promise.all([grains.listOwnedBy(user.id), sharing.grainsSharedWith(user.id)])
    const shared = (await grains.getMany(sharedIds)).filter((g) => g.owner !== user.id)
    const withPermissions = await Promise.all([...owned, ...shared].map(async (g) => ({
      ...g,
      permissions: await sharing.userPermissions(g.id, user.id).catch(() => [] as string[]),
      mine: g.owner === user.id,
      ...(g.owner === user.id ? {} : { ownerName: (await users.get(g.owner))?.displayName ?? 'someone' }),
    })))
    return { grains: withPermissions.filter((g) => g.mine || g.permissions.length > 0) }
  })

  app.delete<{ Params: IdParams }>('/api/grains/:id', {
    schema: { tags: ['grains'], summary: 'Delete a grain (owner or admin)', params: IdParams, response: { 204: Type.Null(), ...errors(401, 403, 404, 503) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    const grain = await grains.get(request.params.id)
    if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(request.params.id)
    if (grain.owner !== user.id && user.role !== 'admin') throw new ERR_FORBIDDEN('only the grain\'s owner may delete it')
    const res = await controlPlane.call('DELETE', `/grains/${grain.id}`)
    if (res.status !== 204 && res.status !== 404) throw new ERR_UNAVAILABLE(`the control plane could not delete the grain (${res.status})`)
    await sharing.removeGrain(grain.id).catch((err: unknown) => request.log.warn({ err, grainId: grain.id }, 'share cleanup after delete failed'))
    // Every proxy has seen the grain go before the answer.
    await sharing.settle()
    await app.services.audit.record({ action: 'grain-delete', actor: user.id, grainId: grain.id, details: { title: grain.title } })
    return reply.code(204).send()
  })

  app.post<{ Params: IdParams, Body: Static<typeof SessionBody> }>('/api/grains/:id/session', {
    schema: { tags: ['grains'], summary: 'A one-time URL that opens the grain on its own origin', params: IdParams, body: Type.Optional(SessionBody), response: { 200: UrlAnswer, ...errors(401, 403, 404) } },
  }, async (request) => {
    const user = requireUser(request)
    const grainId = request.params.id
    if ((await sharing.userPermissions(grainId, user.id)).length === 0) throw new ERR_FORBIDDEN('you have no access to this grain')
    return { url: await handoffUrl(request, { grainId, userId: user.id, displayName: user.displayName, path: safeNext(request.body?.path) }) }
  })

  app.post<{ Body: Static<typeof OpenLinkBody> }>('/api/links/open', {
    schema: { tags: ['sharing'], summary: 'Open a sharing link', body: OpenLinkBody, response: { 200: Type.Object({ grainId: Type.String(), url: Type.String() }), ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const { secret } = request.body
    if (request.auth !== null) {
      const user = request.auth.user
      const redeemed = await sharing.redeemLink({ secret, userId: user.id })
      if (redeemed.permissions.length === 0) throw new ERR_FORBIDDEN('this link gives you no access (its sharer no longer holds any)')
      return { grainId: redeemed.grainId, url: await handoffUrl(request, { grainId: redeemed.grainId, userId: user.id, displayName: user.displayName, path: '/' }) }
    }
    const link = await sharing.resolveLink(secret)
    if (link === undefined) throw new LINK_ERR_NOT_FOUND('this sharing link is not valid: it was revoked, has expired, or is mistyped')
    const grain = await grains.get(link.grainId)
    const anonymousOk = link.allowAnonymous && grain !== undefined && apps.get(grain.appId)?.allowAnonymous === true
    if (!anonymousOk) throw new ERR_UNAUTHORIZED()
    if (link.permissions.length === 0) throw new ERR_FORBIDDEN('this link gives no access (its sharer no longer holds any)')
    return { grainId: link.grainId, url: await handoffUrl(request, { grainId: link.grainId, linkId: link.linkId, displayName: '', path: '/' }) }
  })
}

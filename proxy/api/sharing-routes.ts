/**
 * Sharing a grain (on core/sharing). Every change is announced on the
 * grain-changes feed by the write itself, and answered only once every proxy
 * has seen it; open WebSockets are re-checked at once.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `POST /api/grains/:id/shares` | {to: username or user id, permissions: ids or "all"} or {to, role} | 201 {share} |
 * | `DELETE /api/grains/:id/shares/:shareId` | | 204 (the sharer or the owner) |
 * | `GET /api/grains/:id/access` | | the access graph: edges, principals with effective permissions, links, tokens |
 * | `POST /api/grains/:id/links` | {role} or {permissions}, allowAnonymous?, expiresAt? | 201 {link, secret, url} (the secret is shown once) |
 * | `DELETE /api/grains/:id/links/:linkId` | | 204; everyone who came through it loses that access |
 * | `POST /api/grains/:id/tokens` | {role} or {permissions}, label?, expiresAt? | 201 {token, secret}: `Authorization: Bearer <secret>` on the grain's host |
 * | `DELETE /api/grains/:id/tokens/:tokenId` | | 204 |
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ERR_BAD_REQUEST, GRAIN_ERR_NOT_FOUND, USER_ERR_NOT_FOUND } from '../../core/errors.js'
import { isId } from '../../core/ids.js'
import type { AccessGraph } from '../../core/sharing/index.js'
import type { UserStore } from '../../core/users.js'
import { requireUser } from '../auth/authenticate.js'
import { errors } from './schemas.js'

const GrainParams = Type.Object({ id: Type.String({ pattern: '^[a-z2-7]{8,40}$' }) })
const EdgeParams = Type.Object({ id: Type.String({ pattern: '^[a-z2-7]{8,40}$' }), sub: Type.String({ pattern: '^[a-z2-7]{8,40}$' }) })
const Grant = {
  permissions: Type.Optional(Type.Union([Type.Literal('all'), Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 64 })])),
  role: Type.Optional(Type.String({ maxLength: 64 })),
}
const ShareBody = Type.Object({ to: Type.String({ minLength: 1, maxLength: 100 }), ...Grant }, { additionalProperties: false })
const LinkBody = Type.Object({ ...Grant, allowAnonymous: Type.Optional(Type.Boolean()), expiresAt: Type.Optional(Type.Integer()) }, { additionalProperties: false })
const TokenBody = Type.Object({ ...Grant, label: Type.Optional(Type.String({ maxLength: 100 })), expiresAt: Type.Optional(Type.Integer()) }, { additionalProperties: false })
const Any = Type.Object({}, { additionalProperties: true })

/** Display names of every user in an access graph, keyed by principal (`user:<id>`), so the UI can say "via Bob". */
async function userNames (users: UserStore, graph: AccessGraph): Promise<Record<string, string>> {
  const principals = new Set<string>([`user:${graph.owner}`])
  for (const e of graph.edges) principals.add(e.from).add(e.to).add(`user:${e.sharer}`)
  for (const p of graph.principals) principals.add(p.principal)
  const ids = [...principals].filter((p) => p.startsWith('user:')).map((p) => p.slice('user:'.length))
  const found = await users.getMany(ids)
  return Object.fromEntries([...found.values()].map((u) => [`user:${u.id}`, u.displayName]))
}

export async function sharingRoutes (app: FastifyInstance): Promise<void> {
  const { sharing, grains, apps, users } = app.services

  /** The permissions a request asks for: a role of the grain's app, or explicit ids / "all". */
  const grantOf = async (grainId: string, body: { permissions?: 'all' | string[] | undefined, role?: string | undefined }): Promise<'all' | string[]> => {
    if ((body.permissions === undefined) === (body.role === undefined)) throw new ERR_BAD_REQUEST('give either permissions or role')
    if (body.permissions !== undefined) return body.permissions
    const grain = await grains.get(grainId)
    if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(grainId)
    const role = apps.get(grain.appId)?.roles.find((r) => r.id === body.role)
    if (role === undefined) throw new ERR_BAD_REQUEST(`the app has no role "${body.role ?? ''}"`)
    return role.permissions
  }

  app.post<{ Params: Static<typeof GrainParams>, Body: Static<typeof ShareBody> }>('/api/grains/:id/shares', {
    schema: { tags: ['sharing'], summary: 'Share a grain with a user', params: GrainParams, body: ShareBody, response: { 201: Type.Object({ share: Any }), ...errors(400, 401, 403, 404, 409) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    const to = (await users.byUsername(request.body.to)) ?? (isId(request.body.to) ? await users.get(request.body.to) : undefined)
    if (to === undefined) throw new USER_ERR_NOT_FOUND(request.body.to)
    const share = await sharing.share({ grainId: request.params.id, actor: user.id, to: to.id, permissions: await grantOf(request.params.id, request.body) })
    return reply.code(201).send({ share })
  })

  app.delete<{ Params: Static<typeof EdgeParams> }>('/api/grains/:id/shares/:sub', {
    schema: { tags: ['sharing'], summary: 'Revoke a share', params: EdgeParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    await sharing.revoke({ grainId: request.params.id, actor: user.id, edgeId: request.params.sub })
    return reply.code(204).send()
  })

  app.get<{ Params: Static<typeof GrainParams> }>('/api/grains/:id/access', {
    schema: { tags: ['sharing'], summary: 'Who has access', params: GrainParams, response: { 200: Any, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const graph = await sharing.accessGraph(request.params.id, requireUser(request).id)
    return { ...graph, names: await userNames(users, graph) }
  })

  app.post<{ Params: Static<typeof GrainParams>, Body: Static<typeof LinkBody> }>('/api/grains/:id/links', {
    schema: { tags: ['sharing'], summary: 'Create a sharing link', params: GrainParams, body: LinkBody, response: { 201: Type.Object({ link: Any, secret: Type.String(), url: Type.String() }), ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    const { link, secret } = await sharing.createLink({
      grainId: request.params.id, actor: user.id, permissions: await grantOf(request.params.id, request.body),
      role: request.body.role, allowAnonymous: request.body.allowAnonymous, expiresAt: request.body.expiresAt,
    })
    return reply.code(201).send({ link, secret, url: `https://${request.headers.host ?? ''}/link#${secret}` })
  })

  app.delete<{ Params: Static<typeof EdgeParams> }>('/api/grains/:id/links/:sub', {
    schema: { tags: ['sharing'], summary: 'Revoke a sharing link', params: EdgeParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    await sharing.revokeLink({ grainId: request.params.id, actor: user.id, linkId: request.params.sub })
    return reply.code(204).send()
  })

  app.post<{ Params: Static<typeof GrainParams>, Body: Static<typeof TokenBody> }>('/api/grains/:id/tokens', {
    schema: { tags: ['sharing'], summary: 'Create an API token for the grain', params: GrainParams, body: TokenBody, response: { 201: Type.Object({ token: Any, secret: Type.String() }), ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    const { token, secret } = await sharing.createToken({
      grainId: request.params.id, actor: user.id, permissions: await grantOf(request.params.id, request.body), label: request.body.label, expiresAt: request.body.expiresAt,
    })
    return reply.code(201).send({ token, secret })
  })

  app.delete<{ Params: Static<typeof EdgeParams> }>('/api/grains/:id/tokens/:sub', {
    schema: { tags: ['sharing'], summary: 'Revoke a grain API token', params: EdgeParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    await sharing.revokeToken({ grainId: request.params.id, actor: user.id, tokenId: request.params.sub })
    return reply.code(204).send()
  })
}

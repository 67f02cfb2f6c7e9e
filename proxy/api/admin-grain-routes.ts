/**
 * Admin: every grain on the installation with its owner and run state, and
 * stopping one. Admins only (401 anonymous, 403 anyone else).
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /api/admin/grains` | | {grains: [{id, title, appId, appVersion, owner, ownerUsername, ownerName, state, reason?, createdAt, lastUsedAt}]}: grains with a container up (running, starting, paused) first, then by last use, newest first |
 * | `POST /api/admin/grains/:id/stop` | | 204 once its container is stopped (also if it was not running); 404 for an unknown grain; recorded in the audit log |
 *
 * Run states come from the control plane: `GET /grains/states` lists the
 * grains it has handled since it started, and any other grain is stopped.
 * The grain opens again (and starts) on its next request, as after an idle stop.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { GrainRunState, GrainState } from '../../core/control-plane-protocol.js'
import { ERR_UNAVAILABLE, GRAIN_ERR_NOT_FOUND } from '../../core/errors.js'
import { requireAdmin } from '../auth/authenticate.js'
import { IdParams, errors, nameOf } from './schemas.js'

/** Every run state; those with a container up come first (the ones an admin can stop). */
const RUN_STATES = ['running', 'starting', 'paused', 'failed', 'stopped'] as const satisfies readonly GrainRunState[]
const LIVE: ReadonlySet<GrainRunState> = new Set(['running', 'starting', 'paused'])

const AdminGrainSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  appId: Type.String(),
  appVersion: Type.String(),
  owner: Type.String({ description: 'the owner\'s user id' }),
  ownerUsername: Type.String(),
  ownerName: Type.String({ description: 'the owner\'s display name' }),
  state: Type.Union(RUN_STATES.map((s) => Type.Literal(s))),
  reason: Type.Optional(Type.String({ description: 'why it failed or was stopped, when the control plane knows' })),
  createdAt: Type.Integer(),
  lastUsedAt: Type.Integer({ description: 'ms since the epoch; the control plane\'s figure when it is newer than the record\'s' }),
})

export async function adminGrainRoutes (app: FastifyInstance): Promise<void> {
  const { grains, users, controlPlane, audit } = app.services

  const runStates = async (): Promise<Map<string, GrainState>> => {
    const res = await controlPlane.call<GrainState[]>('GET', '/grains/states')
    if (res.status !== 200 || !Array.isArray(res.body)) throw new ERR_UNAVAILABLE(`the control plane did not say which grains run (${res.status})`)
    return new Map(res.body.map((s) => [s.grainId, s]))
  }

  app.get('/api/admin/grains', {
    schema: { tags: ['admin'], summary: 'Every grain with its owner and run state', response: { 200: Type.Object({ grains: Type.Array(AdminGrainSchema) }), ...errors(401, 403, 503) } },
  }, async (request) => {
    requireAdmin(request)
    const [records, states] = await Promise.all([grains.listAll(), runStates()])
    const owners = await users.getMany(records.map((g) => g.owner))
    const list = records.map((g) => {
      const run = states.get(g.id)
      const owner = owners.get(g.owner)
      return {
        id: g.id, title: g.title, appId: g.appId, appVersion: g.appVersion,
        owner: g.owner, ownerUsername: owner?.username ?? '', ownerName: nameOf(owner),
        state: run?.state ?? 'stopped',
        ...(run?.reason !== undefined ? { reason: run.reason } : {}),
        createdAt: g.createdAt,
        lastUsedAt: Math.max(g.lastUsedAt, run?.lastUsedAt ?? 0),
      }
    })
    list.sort((a, b) => Number(!LIVE.has(a.state)) - Number(!LIVE.has(b.state)) || b.lastUsedAt - a.lastUsedAt)
    return { grains: list }
  })

  app.post<{ Params: IdParams }>('/api/admin/grains/:id/stop', {
    schema: { tags: ['admin'], summary: 'Stop a grain\'s container (it starts again on its next request)', params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 503) } },
  }, async (request, reply) => {
    const admin = requireAdmin(request)
    const grain = await grains.get(request.params.id)
    if (grain === undefined) throw new GRAIN_ERR_NOT_FOUND(request.params.id)
    const res = await controlPlane.call('POST', `/grains/${grain.id}/stop`)
    if (res.status === 404) throw new GRAIN_ERR_NOT_FOUND(grain.id)
    if (res.status !== 204) throw new ERR_UNAVAILABLE(`the control plane could not stop the grain (${res.status})`)
    await audit.record({ action: 'grain-stop', actor: admin.id, grainId: grain.id })
    return reply.code(204).send()
  })
}

/**
 * Admin: every grain on the installation with its owner and run state, and
 * stopping one. Admins only (401 anonymous, 403 anyone else).
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /api/admin/grains` | | {grains: [{id, title, appId, appVersion, owner, ownerUsername, ownerName, state, reason?, createdAt, lastUsedAt}]}: grains with a container up (running, starting, paused) first, then by last use, newest first |
 * | `POST /api/admin/grains/:id/stop` | | 204 once its container is stopped (also if it was not running); 404 for an unknown grain; recorded in the audit log |
 *
 * The listing and the stop themselves live in `../admin/grains.ts`, shared
 * with the command line.
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { RUN_STATES, listGrainsWithState, stopGrain } from '../admin/grains.js'
import { requireAdmin } from '../auth/authenticate.js'
import { IdParams, errors } from './schemas.js'

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
  app.get('/api/admin/grains', {
    schema: { tags: ['admin'], summary: 'Every grain with its owner and run state', response: { 200: Type.Object({ grains: Type.Array(AdminGrainSchema) }), ...errors(401, 403, 503) } },
  }, async (request) => {
    requireAdmin(request)
    return { grains: await listGrainsWithState(app.services) }
  })

  app.post<{ Params: IdParams }>('/api/admin/grains/:id/stop', {
    schema: { tags: ['admin'], summary: 'Stop a grain\'s container (it starts again on its next request)', params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 503) } },
  }, async (request, reply) => {
    const admin = requireAdmin(request)
    await stopGrain(app.services, admin.id, request.params.id)
    return reply.code(204).send()
  })
}

/**
 * API tokens for scripts.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `POST /api/tokens` | {name} | 201 {token}: use as `Authorization: Bearer <token>`; shown only once |
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { requireUser } from '../auth/authenticate.js'
import { errors } from './schemas.js'

const Body = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })

export async function tokenRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: Static<typeof Body> }>('/api/tokens', {
    schema: { tags: ['session'], summary: 'Create an API token', body: Body, response: { 201: Type.Object({ token: Type.String() }), ...errors(400, 401, 403) } },
  }, async (request, reply) => {
    const user = requireUser(request)
    return reply.code(201).send({ token: await app.services.apiTokens.create(user.id, request.body.name) })
  })
}

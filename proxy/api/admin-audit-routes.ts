/**
 * Admin: the installation's audit log (`core/audit.ts`), newest first, with
 * the people and grains in it named for display. Admins only.
 *
 * | route | answer |
 * | --- | --- |
 * | `GET /api/admin/audit?limit=50&before=<cursor>` | {events: [{id, at, action, actor, actorName, grainId?, grainTitle?, subject?, subjectName?, details}], next?}; `limit` 1-200; `next`, when there are older events, is the `before` of the following page |
 *
 * Names are looked up when the log is read, so they are today's names; a
 * deleted grain has no `grainTitle` (but `grain-delete` events keep the title
 * it had in `details.title`). What admins do on the `granary` command line
 * (actor `CLI_ACTOR`) is named "command line".
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { CLI_ACTOR, type AuditEvent } from '../../core/audit.js'
import { requireAdmin } from '../auth/authenticate.js'
import { errors, nameOf } from './schemas.js'

const DEFAULT_LIMIT = 50
const CLI_ACTOR_NAME = 'command line'
const MAX_LIMIT = 200

const AuditQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT }),
  before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}-[0-9]{1,15}$', description: 'the `next` of the previous page' })),
}, { additionalProperties: false })

const AuditEventSchema = Type.Object({
  id: Type.String({ description: 'unique; events are ordered by it' }),
  at: Type.Integer({ description: 'ms since the epoch' }),
  action: Type.String({ description: 'share, revoke, link-create, link-redeem, link-revoke, token-create, token-revoke, login, user-create, user-disable, user-enable, user-password, grain-stop, grain-delete, grain-export, grain-import' }),
  actor: Type.String({ description: `user id of who did it, or \`${CLI_ACTOR}\` for the granary command line` }),
  actorName: Type.String(),
  grainId: Type.Optional(Type.String()),
  grainTitle: Type.Optional(Type.String()),
  subject: Type.Optional(Type.String({ description: 'user id of the person it was done to' })),
  subjectName: Type.Optional(Type.String()),
  details: Type.Record(Type.String(), Type.String()),
})
type AuditEventView = Static<typeof AuditEventSchema>

export async function adminAuditRoutes (app: FastifyInstance): Promise<void> {
  const { audit, users, grains } = app.services

  /** The events with every user and grain they mention named (one lookup per distinct id). */
  const named = async (events: AuditEvent[]): Promise<AuditEventView[]> => {
    const grainIds = [...new Set(events.flatMap((e) => e.grainId ?? []))]
    const [people, records] = await Promise.all([
      users.getMany(events.flatMap((e) => e.subject === undefined ? [e.actor] : [e.actor, e.subject]).filter((id) => id !== CLI_ACTOR)),
      grains.getMany(grainIds),
    ])
    const titles = new Map(records.map((g) => [g.id, g.title]))
    return events.map((e) => {
      const grainTitle = e.grainId === undefined ? undefined : titles.get(e.grainId) ?? e.details.title
      return {
        id: e.id, at: e.at, action: e.action, actor: e.actor, actorName: e.actor === CLI_ACTOR ? CLI_ACTOR_NAME : nameOf(people.get(e.actor)),
        ...(e.grainId !== undefined ? { grainId: e.grainId } : {}),
        ...(grainTitle !== undefined ? { grainTitle } : {}),
        ...(e.subject !== undefined ? { subject: e.subject, subjectName: nameOf(people.get(e.subject)) } : {}),
        details: e.details,
      }
    })
  }

  app.get<{ Querystring: Static<typeof AuditQuery> }>('/api/admin/audit', {
    schema: {
      tags: ['admin'],
      summary: 'The audit log, newest first, a page at a time',
      querystring: AuditQuery,
      response: { 200: Type.Object({ events: Type.Array(AuditEventSchema), next: Type.Optional(Type.String()) }), ...errors(400, 401, 403) },
    },
  }, async (request) => {
    requireAdmin(request)
    const { limit, before } = request.query
    // One more than asked: whether it exists says if there is a next page.
    const page = await audit.page(limit + 1, before)
    const events = await named(page.slice(0, limit))
    return { events, ...(page.length > limit ? { next: events.at(-1)!.id } : {}) }
  })
}

/**
 * Admin: accounts. Admins only (401 anonymous, 403 anyone else); every change
 * is recorded in the audit log (`user-create`, `user-disable`, `user-enable`,
 * `user-password`, with the account as its subject); the actions themselves
 * live in `../admin/accounts.ts`, shared with the command line. The admin's other
 * sections: grains in `admin-grain-routes.ts`, the audit log in
 * `admin-audit-routes.ts`.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /api/admin/users` | | {users} |
 * | `POST /api/admin/users` | {username, displayName?, role?, password?} | 201 {user}; 409 if the name is taken |
 * | `POST /api/admin/users/:id/disable` | | 200 {user}; every session and API token of the user ends |
 * | `POST /api/admin/users/:id/enable` | | 200 {user} |
 * | `POST /api/admin/users/:id/password` | {password} | 200 {user}; every session and API token of the user ends |
 */
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { DISPLAY_NAME_MAX } from '../../core/users.js'
import { accountById, createAccount, resetPassword, setAccountDisabled } from '../admin/accounts.js'
import { requireAdmin } from '../auth/authenticate.js'
import { IdParams, Password, UserSchema, errors, userView } from './schemas.js'

const CreateBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 63 }),
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: DISPLAY_NAME_MAX })),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin'), Type.Literal('packager')])),
  password: Type.Optional(Password),
}, { additionalProperties: false })
const PasswordBody = Type.Object({ password: Password }, { additionalProperties: false })
const UserAnswer = Type.Object({ user: UserSchema })

export async function adminRoutes (app: FastifyInstance): Promise<void> {
  const { users } = app.services

  app.get('/api/admin/users', {
    schema: { tags: ['admin'], summary: 'List accounts', response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...errors(401, 403) } },
  }, async (request) => {
    requireAdmin(request)
    return { users: (await users.list()).map(userView) }
  })

  app.post<{ Body: Static<typeof CreateBody> }>('/api/admin/users', {
    schema: { tags: ['admin'], summary: 'Create an account', body: CreateBody, response: { 201: UserAnswer, ...errors(400, 401, 403, 409) } },
  }, async (request, reply) => {
    const admin = requireAdmin(request)
    const user = await createAccount(app.services, admin.id, request.body)
    return reply.code(201).send({ user: userView(user) })
  })

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post<{ Params: IdParams }>(`/api/admin/users/:id/${action}`, {
      schema: { tags: ['admin'], summary: `${action === 'disable' ? 'Disable' : 'Enable'} an account`, params: IdParams, response: { 200: UserAnswer, ...errors(400, 401, 403, 404) } },
    }, async (request) => {
      const admin = requireAdmin(request)
      const user = await setAccountDisabled(app.services, admin.id, await accountById(users, request.params.id), disabled)
      return { user: userView(user) }
    })
  }

  app.post<{ Params: IdParams, Body: Static<typeof PasswordBody> }>('/api/admin/users/:id/password', {
    schema: { tags: ['admin'], summary: 'Reset a password (ends all the user\'s sessions)', params: IdParams, body: PasswordBody, response: { 200: UserAnswer, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const admin = requireAdmin(request)
    const user = await accountById(users, request.params.id)
    await resetPassword(app.services, admin.id, user, request.body.password)
    return { user: userView(user) }
  })
}

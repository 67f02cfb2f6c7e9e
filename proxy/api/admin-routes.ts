/**
 * Admin: accounts. Admins only (401 anonymous, 403 anyone else); every change
 * is recorded in the audit log (`user-create`, `user-disable`, `user-enable`,
 * `user-password`, with the account as its subject). The admin's other
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
import { ERR_BAD_REQUEST, USER_ERR_NOT_FOUND } from '../../core/errors.js'
import type { User } from '../../core/users.js'
import { requireAdmin } from '../auth/authenticate.js'
import { checkPasswordPolicy } from '../auth/passwords.js'
import { IdParams, Password, UserSchema, errors, userView } from './schemas.js'

const CreateBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 63 }),
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin'), Type.Literal('packager')])),
  password: Type.Optional(Password),
}, { additionalProperties: false })
const PasswordBody = Type.Object({ password: Password }, { additionalProperties: false })
const UserAnswer = Type.Object({ user: UserSchema })

export async function adminRoutes (app: FastifyInstance): Promise<void> {
  const { users, passwords, audit } = app.services
  const existing = async (id: string): Promise<User> => {
    const user = await users.get(id)
    if (user === undefined) throw new USER_ERR_NOT_FOUND(id)
    return user
  }

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
    const { username, displayName, role, password } = request.body
    if (password !== undefined) checkPasswordPolicy(password)
    const user = await users.create({ username, ...(displayName !== undefined ? { displayName } : {}), ...(role !== undefined ? { role } : {}) })
    if (password !== undefined) await passwords.set(user.id, password)
    await audit.record({ action: 'user-create', actor: admin.id, subject: user.id, details: { role: user.role } })
    return reply.code(201).send({ user: userView(user) })
  })

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post<{ Params: IdParams }>(`/api/admin/users/:id/${action}`, {
      schema: { tags: ['admin'], summary: `${action === 'disable' ? 'Disable' : 'Enable'} an account`, params: IdParams, response: { 200: UserAnswer, ...errors(400, 401, 403, 404) } },
    }, async (request) => {
      const admin = requireAdmin(request)
      const user = await existing(request.params.id)
      if (disabled && user.id === admin.id) throw new ERR_BAD_REQUEST('you cannot disable your own account')
      await users.update(user.id, { disabled })
      if (disabled) await app.services.logOutEverywhere(user.id)
      await audit.record({ action: `user-${action}`, actor: admin.id, subject: user.id })
      return { user: userView({ ...user, disabled }) }
    })
  }

  app.post<{ Params: IdParams, Body: Static<typeof PasswordBody> }>('/api/admin/users/:id/password', {
    schema: { tags: ['admin'], summary: 'Reset a password (ends all the user\'s sessions)', params: IdParams, body: PasswordBody, response: { 200: UserAnswer, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const admin = requireAdmin(request)
    const user = await existing(request.params.id)
    await passwords.set(user.id, request.body.password)
    await app.services.logOutEverywhere(user.id)
    await audit.record({ action: 'user-password', actor: admin.id, subject: user.id })
    return { user: userView(user) }
  })
}

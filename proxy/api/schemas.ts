/** TypeBox schemas shared by the public API routes, and the public view of records. */
import { Type, type Static } from '@sinclair/typebox'
import type { User } from '../../core/users.js'

export const ErrorSchema = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) }, { $id: 'Error' })

export const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('admin'), Type.Literal('packager')]),
  disabled: Type.Boolean(),
  createdAt: Type.Integer(),
})
export type UserView = Static<typeof UserSchema>
export const userView = (u: User): UserView => ({ id: u.id, username: u.username, displayName: u.displayName, role: u.role, disabled: u.disabled, createdAt: u.createdAt })

/** How to name a user to people: the display name, or a placeholder when the account is gone. */
export const nameOf = (user: User | undefined): string => user?.displayName ?? 'unknown user'

export const IdParams = Type.Object({ id: Type.String({ pattern: '^[a-z2-7]{8,40}$' }) })
export type IdParams = Static<typeof IdParams>

export const Password = Type.String({ minLength: 1, maxLength: 1024 })
export const Username = Type.String({ minLength: 1, maxLength: 200 })

/** Standard error answers for a route's schema. */
export const errors = (...statuses: number[]): Record<number, typeof ErrorSchema> =>
  Object.fromEntries(statuses.map((s) => [s, ErrorSchema]))

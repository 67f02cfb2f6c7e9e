/**
 * What an admin does to accounts, in one place for the admin API
 * (`api/admin-routes.ts`) and the command line (`scripts/granary-users.ts`):
 * create one, reset a password, disable, enable. Every change is recorded in
 * the audit log with its actor: the admin's user id, or `CLI_ACTOR` for the
 * command line. A password reset and disabling end every way the user is
 * logged in (`logOutEverywhere`).
 */
import type { AuditLog } from '../../core/audit.js'
import { ERR_BAD_REQUEST, USER_ERR_NOT_FOUND } from '../../core/errors.js'
import type { Role, User, UserStore } from '../../core/users.js'
import { checkPasswordPolicy, type PasswordStore } from '../auth/passwords.js'

/** The stores the account actions need; `ProxyServices` is one, `accountServices()` in `services.ts` makes one. */
export interface AccountServices {
  users: UserStore
  passwords: PasswordStore
  audit: AuditLog
  /**
   * Ends every way the user is logged in: shell and grain sessions (announced
   * on the sessions-ended channel, so every proxy drops them from its cache at
   * once) and API tokens.
   */
  logOutEverywhere(userId: string): Promise<void>
}

export interface NewAccount {
  username: string
  displayName?: string
  role?: Role
  /** Without one, the account cannot log in with a password until one is set (OpenID Connect still works). */
  password?: string
}

/** The account with this id; throws USER_ERR_NOT_FOUND. */
export async function accountById (users: UserStore, userId: string): Promise<User> {
  const user = await users.get(userId)
  if (user === undefined) throw new USER_ERR_NOT_FOUND(userId)
  return user
}

/** The account with this username (case-insensitive); throws USER_ERR_NOT_FOUND. */
export async function accountByUsername (users: UserStore, username: string): Promise<User> {
  const user = await users.byUsername(username)
  if (user === undefined) throw new USER_ERR_NOT_FOUND(username)
  return user
}

/**
 * Creates an account. A password is checked against the policy before
 * anything is written; throws ERR_CONFLICT if the username is taken,
 * ERR_BAD_REQUEST if it is malformed.
 */
export async function createAccount (s: AccountServices, actor: string, input: NewAccount): Promise<User> {
  const { username, displayName, role, password } = input
  if (password !== undefined) checkPasswordPolicy(password)
  const user = await s.users.create({ username, ...(displayName !== undefined ? { displayName } : {}), ...(role !== undefined ? { role } : {}) })
  if (password !== undefined) await s.passwords.set(user.id, password)
  await s.audit.record({ action: 'user-create', actor, subject: user.id, details: { role: user.role } })
  return user
}

/** Replaces the user's password (throws AUTH_ERR_WEAK_PASSWORD first if it breaks the policy) and ends all their logins. */
export async function resetPassword (s: AccountServices, actor: string, user: User, password: string): Promise<void> {
  await s.passwords.set(user.id, password)
  await s.logOutEverywhere(user.id)
  await s.audit.record({ action: 'user-password', actor, subject: user.id })
}

/**
 * Disables the account (ending all its logins) or enables it again; answers
 * it as it is now. An admin cannot disable their own account. Doing it twice
 * is harmless (and recorded twice).
 */
export async function setAccountDisabled (s: AccountServices, actor: string, user: User, disabled: boolean): Promise<User> {
  if (disabled && user.id === actor) throw new ERR_BAD_REQUEST('you cannot disable your own account')
  await s.users.update(user.id, { disabled })
  if (disabled) await s.logOutEverywhere(user.id)
  await s.audit.record({ action: disabled ? 'user-disable' : 'user-enable', actor, subject: user.id })
  return { ...user, disabled }
}

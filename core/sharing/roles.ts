/**
 * Roles are only names for permission sets (DESIGN.md). These helpers turn a
 * manifest into what the sharing service takes: the app's permission ids in
 * manifest order, and a role's permissions.
 */
import { ERR_BAD_REQUEST } from '../errors.js'
import type { Manifest } from '../manifest/schema.js'
import { shown } from './validate.js'

/** The app's permission ids in manifest order: what `AppPermissionsResolver` answers. */
export const appPermissionIds = (manifest: Pick<Manifest, 'permissions'>): string[] => manifest.permissions.map((p) => p.id)

/** The permissions a role names, in manifest order. ERR_BAD_REQUEST naming the app's roles if there is no such role. */
export function rolePermissions (manifest: Pick<Manifest, 'permissions' | 'roles'>, roleId: unknown): string[] {
  const role = manifest.roles.find((r) => r.id === roleId)
  if (role === undefined) throw new ERR_BAD_REQUEST(`unknown role ${shown(roleId)}; this app's roles are ${manifest.roles.map((r) => r.id).join(', ')}`)
  return appPermissionIds(manifest).filter((p) => role.permissions.includes(p))
}

/**
 * The error catalogue: every error a client can see, with its code and status.
 * Throw these (`throw new GRAIN_ERR_NOT_FOUND(id)`); the shared error handler
 * (`./http-errors.ts`) turns them into `{ error: { code, message } }`.
 * Messages are shown to clients only for 4xx statuses.
 */
import createError from '@fastify/error'

export const ERR_BAD_REQUEST = createError('ERR_BAD_REQUEST', '%s', 400)
export const ERR_UNAUTHORIZED = createError('ERR_UNAUTHORIZED', 'log in first', 401)
export const ERR_FORBIDDEN = createError('ERR_FORBIDDEN', '%s', 403)
export const ERR_NOT_FOUND = createError('ERR_NOT_FOUND', '%s', 404)
export const ERR_CONFLICT = createError('ERR_CONFLICT', '%s', 409)
export const ERR_TOO_MANY = createError('ERR_TOO_MANY', '%s', 429)
export const ERR_UNAVAILABLE = createError('ERR_UNAVAILABLE', '%s', 503)
export const ERR_UNSUPPORTED_MEDIA_TYPE = createError('ERR_UNSUPPORTED_MEDIA_TYPE', '%s', 415)

export const GRAIN_ERR_NOT_FOUND = createError('GRAIN_ERR_NOT_FOUND', 'grain %s not found', 404)
export const APP_ERR_NOT_FOUND = createError('APP_ERR_NOT_FOUND', 'app %s not found', 404)
export const USER_ERR_NOT_FOUND = createError('USER_ERR_NOT_FOUND', 'user %s not found', 404)

// Proxy: login and sessions.
export const AUTH_ERR_BAD_LOGIN = createError('AUTH_ERR_BAD_LOGIN', 'wrong username or password', 401)
export const AUTH_ERR_LOCKED = createError('AUTH_ERR_LOCKED', 'too many failed logins; try again in %s minutes', 429)
export const AUTH_ERR_CSRF = createError('AUTH_ERR_CSRF', 'cross-site request refused: this call needs a same-origin Origin header', 403)
export const AUTH_ERR_NOT_ADMIN = createError('AUTH_ERR_NOT_ADMIN', 'only admins may do this', 403)
export const AUTH_ERR_SETUP = createError('AUTH_ERR_SETUP', 'this setup link is not valid (already used, or replaced by a newer one)', 403)
export const AUTH_ERR_WEAK_PASSWORD = createError('AUTH_ERR_WEAK_PASSWORD', 'a password needs 8 to 1024 characters', 400)
export const OIDC_ERR_UNKNOWN_PROVIDER = createError('OIDC_ERR_UNKNOWN_PROVIDER', 'no login provider "%s"', 404)
export const OIDC_ERR_FAILED = createError('OIDC_ERR_FAILED', 'login with the provider failed: %s', 400)
export const OIDC_ERR_DENIED = createError('OIDC_ERR_DENIED', 'login with the provider failed: access was denied at the provider', 400)
export const OIDC_ERR_EXPIRED = createError('OIDC_ERR_EXPIRED', '%s; start again', 400)
export const AUTH_ERR_DISABLED = createError('AUTH_ERR_DISABLED', 'this account is disabled', 403)
export const OIDC_ERR_ALREADY_LINKED = createError('OIDC_ERR_ALREADY_LINKED', 'this identity already belongs to another account', 409)
export const GRAIN_ERR_HANDOFF = createError('GRAIN_ERR_HANDOFF', 'this grain link is not valid (used or expired); open the grain again from Granary', 403)

// Sharing (core/sharing/)
export const SHARE_ERR_NOT_HELD = createError('SHARE_ERR_NOT_HELD', '%s', 403)
export const SHARE_ERR_NOT_FOUND = createError('SHARE_ERR_NOT_FOUND', 'share %s not found on this grain', 404)
export const LINK_ERR_NOT_FOUND = createError('LINK_ERR_NOT_FOUND', '%s', 404)
export const TOKEN_ERR_NOT_FOUND = createError('TOKEN_ERR_NOT_FOUND', '%s', 404)
// Apps (control plane: apps-routes.ts)
export const APP_ERR_INVALID_MANIFEST = createError('APP_ERR_INVALID_MANIFEST', 'invalid manifest: %s', 400)
export const APP_ERR_NOT_NEWER = createError('APP_ERR_NOT_NEWER', 'app %s: version %s is not newer than the current version %s', 409)
export const APP_ERR_IN_USE = createError('APP_ERR_IN_USE', 'app %s is used by %s grain(s); delete them first, or remove it anyway with ?force=true', 409)
export const APP_ERR_IMAGE_TOO_LARGE = createError('APP_ERR_IMAGE_TOO_LARGE', 'the image is larger than the limit of %s bytes (MAX_IMAGE_BYTES)', 413)
export const APP_ERR_BAD_IMAGE = createError('APP_ERR_BAD_IMAGE', 'the image could not be loaded: %s', 400)
export const APP_ERR_IMAGE_MISSING = createError('APP_ERR_IMAGE_MISSING', '%s', 400)
// Grain lifecycle (control plane)
export const GRAIN_ERR_START_FAILED = createError('GRAIN_ERR_START_FAILED', 'grain %s could not start: %s', 503)
export const GRAIN_ERR_APP_MISSING = createError('GRAIN_ERR_APP_MISSING', 'grain %s runs app %s, which is not installed', 503)
// Grain archives (core/grain-archive.ts) and backups (core/backup.ts).
export const GRAIN_ERR_ARCHIVE_INVALID = createError('GRAIN_ERR_ARCHIVE_INVALID', 'refused grain archive: %s', 400)
export const GRAIN_ERR_ARCHIVE_TOO_LARGE = createError('GRAIN_ERR_ARCHIVE_TOO_LARGE', 'refused grain archive: %s', 413)

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

export const GRAIN_ERR_NOT_FOUND = createError('GRAIN_ERR_NOT_FOUND', 'grain %s not found', 404)
export const APP_ERR_NOT_FOUND = createError('APP_ERR_NOT_FOUND', 'app %s not found', 404)
export const USER_ERR_NOT_FOUND = createError('USER_ERR_NOT_FOUND', 'user %s not found', 404)

// Grain archives (core/grain-archive.ts) and backups (core/backup.ts).
export const GRAIN_ERR_ARCHIVE_INVALID = createError('GRAIN_ERR_ARCHIVE_INVALID', 'refused grain archive: %s', 400)
export const GRAIN_ERR_ARCHIVE_TOO_LARGE = createError('GRAIN_ERR_ARCHIVE_TOO_LARGE', 'refused grain archive: %s', 413)

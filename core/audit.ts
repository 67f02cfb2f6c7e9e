/**
 * The installation's audit log: one capped Redis stream (`audit`, see
 * `core/keys.ts`) that admins read newest first, a page at a time.
 *
 * Two kinds of writers append to it:
 * - every sharing write, from inside its Lua script (`core/sharing/scripts.ts`),
 *   in the same step as the change and the grain's own audit stream, so the
 *   log never misses a share or a revoke and never shows one that did not happen;
 * - the proxy, through `AuditLog.record`, for logins and admin actions
 *   (accounts, stopping and deleting grains), and the `granary` command line
 *   for the same admin actions (`proxy/admin/`).
 *
 * One entry's fields, all strings:
 *
 * | field | holds |
 * | --- | --- |
 * | `action` | what happened: `share`, `revoke`, `link-create`, `link-redeem`, `link-revoke`, `token-create`, `token-revoke`, `login`, `user-create`, `user-disable`, `user-enable`, `user-password`, `grain-stop`, `grain-delete`, `grain-export`, `grain-import` |
 * | `actor` | the user id of who did it, or `CLI_ACTOR` (`cli`) for the `granary` command line (user ids are 16 base32 characters, so no user id is ever `cli`) |
 * | `at` | when, ms since the epoch |
 * | `grain` | the grain it concerns, if any |
 * | `to` | the principal it was done to, if any (`user:<id>`, `link:<id>`, `token:<id>`) |
 * | `title` | on `grain-delete`: the grain's title (its record is gone afterwards) |
 * | `owner` | on `grain-import`: the user id of the new grain's owner |
 * | anything else | the action's details (`permissions`, `edge`, `method`, `version`, ...) |
 */
import type { Redis } from 'ioredis'
import { keys } from './keys.js'
import { streamFields } from './redis.js'

/**
 * The actor of what an admin did on the `granary` command line: whoever runs
 * it on the server with its settings holds the keys to everything, and the
 * command has no login to tell admins apart. Shown as "command line".
 */
export const CLI_ACTOR = 'cli'

/** Entries kept (approximately: Redis trims whole nodes). The Lua scripts use it too. */
export const AUDIT_MAX_LENGTH = 100_000

/** One event as read back. */
export interface AuditEvent {
  /** The stream entry id (`<ms>-<seq>`): unique and ordered, the cursor for the next page. */
  id: string
  at: number
  action: string
  /** Who did it: a user id, or `CLI_ACTOR`. */
  actor: string
  grainId?: string
  /** The user it was done to, from `to` when that is a user. */
  subject?: string
  /** Every other field of the entry (`to` included). */
  details: Record<string, string>
}

export interface AuditRecord {
  action: string
  actor: string
  grainId?: string
  /** The user it was done to; stored as `to: user:<id>`, as sharing entries do. */
  subject?: string
  details?: Record<string, string>
}

export interface AuditLog {
  /** Appends one event, dated now. */
  record(event: AuditRecord): Promise<void>
  /**
   * Up to `limit` events, newest first: the newest of all, or those older
   * than the entry `before` (an `AuditEvent.id` from an earlier page). An id
   * trimmed away meanwhile still works: paging goes on from where it was.
   */
  page(limit: number, before?: string): Promise<AuditEvent[]>
}

const USER_PRINCIPAL = 'user:'

/** An entry's fields as an event. */
export function decodeAuditEntry (id: string, flat: string[]): AuditEvent {
  const { action = '', actor = '', at, grain, ...details } = streamFields(flat)
  const when = Number(at)
  const to = details.to
  return {
    id,
    at: Number.isFinite(when) && at !== undefined ? when : Number(id.split('-')[0]),
    action,
    actor,
    ...(grain !== undefined && grain !== '' ? { grainId: grain } : {}),
    ...(to?.startsWith(USER_PRINCIPAL) === true ? { subject: to.slice(USER_PRINCIPAL.length) } : {}),
    details,
  }
}

export function redisAuditLog (redis: Redis, opts: { now?: () => number } = {}): AuditLog {
  const now = opts.now ?? Date.now
  return {
    async record ({ action, actor, grainId, subject, details = {} }) {
      const fields: Record<string, string> = {
        ...details, action, actor, at: String(now()),
        ...(grainId !== undefined ? { grain: grainId } : {}),
        ...(subject !== undefined ? { to: `${USER_PRINCIPAL}${subject}` } : {}),
      }
      await redis.xadd(keys.audit(), 'MAXLEN', '~', String(AUDIT_MAX_LENGTH), '*', ...Object.entries(fields).flat())
    },
    async page (limit, before) {
      // `(` makes the range exclusive (Redis 6.2+): the page starts just below the cursor.
      const entries = await redis.xrevrange(keys.audit(), before === undefined ? '+' : `(${before}`, '-', 'COUNT', limit)
      return entries.map(([id, flat]) => decodeAuditEntry(id, flat))
    },
  }
}

/**
 * User accounts in Redis. This module owns the account record only; login
 * secrets (password hashes, linked OpenID identities) and sessions belong to
 * the proxy's login code, which stores them beside it.
 */
import type { Redis } from 'ioredis'
import { ERR_BAD_REQUEST, ERR_CONFLICT } from './errors.js'
import { randomId } from './ids.js'
import { keys } from './keys.js'

export type Role = 'user' | 'admin' | 'packager'
export const ROLES: readonly Role[] = ['user', 'admin', 'packager']

export interface User {
  id: string
  username: string
  displayName: string
  role: Role
  disabled: boolean
  createdAt: number
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,62}$/
export const DISPLAY_NAME_MAX = 200

export interface UserStore {
  /** Creates an account. Throws ERR_CONFLICT if the username is taken, ERR_BAD_REQUEST if it or the display name is malformed. Atomic. */
  create(input: { username: string, displayName?: string, role?: Role }): Promise<User>
  /** The user, or undefined if no such id. */
  get(userId: string): Promise<User | undefined>
  /** The users with these ids, by id (each id once; unknown ids are left out). */
  getMany(userIds: Iterable<string>): Promise<Map<string, User>>
  /** The user with that username (case-insensitive), or undefined. */
  byUsername(username: string): Promise<User | undefined>
  /** Every user, oldest first. */
  list(): Promise<User[]>
  /** Sets fields of an existing user; succeeds silently if the user does not exist. */
  update(userId: string, patch: Partial<Pick<User, 'displayName' | 'role' | 'disabled'>>): Promise<void>
}

function fromHash (h: Record<string, string>): User | undefined {
  if (h.id === undefined) return undefined
  return {
    id: h.id,
    username: h.username ?? '',
    displayName: h.displayName ?? h.username ?? '',
    role: (ROLES as readonly string[]).includes(h.role ?? '') ? h.role as Role : 'user',
    disabled: h.disabled === '1',
    createdAt: Number(h.createdAt ?? 0),
  }
}

// Claims the username and writes the record in one step, so two concurrent
// creations of one username never both succeed.
const CREATE_SCRIPT = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
return 1`

export function redisUserStore (redis: Redis): UserStore {
  const get = async (userId: string): Promise<User | undefined> => fromHash(await redis.hgetall(keys.user(userId)))
  const getMany = async (userIds: Iterable<string>): Promise<Map<string, User>> => {
    const found = await Promise.all([...new Set(userIds)].map(get))
    return new Map(found.flatMap((u) => u === undefined ? [] : [[u.id, u] as const]))
  }
  return {
    async create ({ username, displayName, role = 'user' }) {
      const name = username.trim().toLowerCase()
      if (!USERNAME_PATTERN.test(name)) throw new ERR_BAD_REQUEST(`username must be 1-63 of a-z, 0-9, "_", "." or "-", starting with a letter or digit`)
      if ((displayName?.trim().length ?? 0) > DISPLAY_NAME_MAX) throw new ERR_BAD_REQUEST(`a display name has at most ${DISPLAY_NAME_MAX} characters`)
      const user: User = { id: randomId(16), username: name, displayName: displayName?.trim() || name, role, disabled: false, createdAt: Date.now() }
      const fields = ['id', user.id, 'username', user.username, 'displayName', user.displayName, 'role', user.role, 'disabled', '0', 'createdAt', String(user.createdAt)]
      const ok = await redis.eval(CREATE_SCRIPT, 3, keys.usersByName(), keys.user(user.id), keys.usersAll(), name, user.id, String(user.createdAt), ...fields)
      if (ok !== 1) throw new ERR_CONFLICT(`username "${name}" is taken`)
      return user
    },
    get,
    getMany,
    async byUsername (username) {
      const id = await redis.hget(keys.usersByName(), username.trim().toLowerCase())
      return id === null ? undefined : get(id)
    },
    async list () {
      return [...(await getMany(await redis.zrange(keys.usersAll(), 0, -1))).values()]
    },
    async update (userId, patch) {
      const fields: string[] = []
      if (patch.displayName !== undefined) fields.push('displayName', patch.displayName)
      if (patch.role !== undefined) fields.push('role', patch.role)
      if (patch.disabled !== undefined) fields.push('disabled', patch.disabled ? '1' : '0')
      if (fields.length === 0) return
      // Only touch existing users: HSET on a missing key would create a stub.
      await redis.eval(`if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) end`, 1, keys.user(userId), ...fields)
    },
  }
}

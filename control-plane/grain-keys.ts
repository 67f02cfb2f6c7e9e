/**
 * Deletes every Redis key under a grain's scope (`keys.grainScope(grainId)`,
 * i.e. `grain:<id>:*`): where other modules (shares, links, ...) keep per-grain
 * data, so deleting a grain leaves none of it behind. Works with a client
 * `keyPrefix` (SCAN patterns and answers carry the prefix; DEL adds it).
 */
import type { Redis } from 'ioredis'
import { keys } from '../core/keys.js'

const SCAN_COUNT = 500

function escapeGlob (s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}

export async function deleteGrainScopedKeys (redis: Redis, grainId: string): Promise<number> {
  const prefix = redis.options.keyPrefix ?? ''
  const match = escapeGlob(prefix + keys.grainScope(grainId)) + '*'
  let cursor = '0'
  let deleted = 0
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT)
    cursor = next
    if (found.length > 0) deleted += await redis.del(...found.map((k) => k.slice(prefix.length)))
  } while (cursor !== '0')
  return deleted
}

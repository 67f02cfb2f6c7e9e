/**
 * Grain run states in Redis, so a control plane that dies (even kill -9) in
 * the middle of a start leaves a trace its successor can act on. The in-memory
 * map in `lifecycle.ts` answers the hot path; this is the durable copy, written
 * on every transition.
 */
import type { Redis } from 'ioredis'
import type { GrainRunState } from '../core/control-plane-protocol.js'
import { keys } from '../core/keys.js'

export interface RunRecord {
  state: GrainRunState
  containerId?: string
  since: number
  reason?: string
}

const LIVE: ReadonlySet<GrainRunState> = new Set(['starting', 'running', 'paused'])

export interface RunStateStore {
  /** Records a transition (replaces the whole record). */
  set(grainId: string, record: RunRecord): Promise<void>
  /** The last recorded state, or undefined if the grain never ran. */
  get(grainId: string): Promise<RunRecord | undefined>
  /** Grains last recorded as starting, running or paused. */
  live(): Promise<string[]>
  /** Forgets the grain. Succeeds silently if nothing is recorded. */
  delete(grainId: string): Promise<void>
}

export function redisRunStateStore (redis: Redis): RunStateStore {
  return {
    async set (grainId, record) {
      const fields: Record<string, string> = { state: record.state, since: String(record.since) }
      if (record.containerId !== undefined) fields.containerId = record.containerId
      if (record.reason !== undefined) fields.reason = record.reason
      const tx = redis.multi().del(keys.grainRun(grainId)).hset(keys.grainRun(grainId), fields)
      if (LIVE.has(record.state)) tx.sadd(keys.grainRunsLive(), grainId)
      else tx.srem(keys.grainRunsLive(), grainId)
      await tx.exec()
    },
    async get (grainId) {
      const h = await redis.hgetall(keys.grainRun(grainId))
      if (h.state === undefined) return undefined
      return {
        state: h.state as GrainRunState,
        since: Number(h.since ?? 0),
        ...(h.containerId !== undefined ? { containerId: h.containerId } : {}),
        ...(h.reason !== undefined ? { reason: h.reason } : {}),
      }
    },
    async live () { return redis.smembers(keys.grainRunsLive()) },
    async delete (grainId) {
      await redis.multi().del(keys.grainRun(grainId)).srem(keys.grainRunsLive(), grainId).exec()
    },
  }
}

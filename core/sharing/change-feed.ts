/**
 * The grain-changes channel (`keys.grainChanges()`, Redis pub/sub), which lets
 * a proxy answer a grain request from its cached share graph with no Redis
 * round trip, while keeping DESIGN.md's promise that a revocation is visible
 * on the very next request that starts after the revoke call returns, on
 * every proxy.
 *
 * Messages on the channel:
 * | message | sent by | meaning |
 * | --- | --- | --- |
 * | `g:<grainId>` | the write itself, inside its Lua script or MULTI | the grain's shares, app version or existence changed |
 * | `b:<nonce>` | a writer, after its write (`settle`) | barrier: acknowledge once everything before it is applied |
 * | `a:<nonce>` | every subscribed process | acknowledgement of barrier `<nonce>` |
 *
 * Redis delivers one connection's messages in the order it ran the
 * publishes, so a process that acknowledges a barrier has applied every change
 * published before it. A writer's `settle()` waits for as many
 * acknowledgements as the larger of: the processes that received the barrier,
 * and the processes registered on the feed (`keys.grainChangesMembers()`,
 * renewed with every heartbeat, lapsing after the lease), so a process whose
 * subscription Redis dropped without it noticing is still waited for. It
 * returns once they all answered, or after the lease plus a margin, when a
 * process that did not answer no longer trusts anything it loaded before the
 * write (its heartbeats stopped coming back; see ./change-watch.ts). Either
 * way, the next request to any proxy sees the write.
 */
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { keys } from '../keys.js'
import { channelName } from '../redis.js'
import { ChangeWatch, DEFAULT_LEASE_MS } from './change-watch.js'

/** How often the subscriber connection is pinged to renew the lease. */
export const HEARTBEAT_INTERVAL_MS = 250
/** How much longer than the lease a barrier waits for a silent process. */
const SETTLE_MARGIN_MS = 250

/** Registers a process until the lease runs out (Redis clock). KEYS: 1 members. ARGV: 1 instance id, 2 lease ms. */
const REGISTER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])`

/** Publishes a barrier; answers how many acknowledgements to wait for. KEYS: 1 members. ARGV: 1 channel, 2 message. */
const BARRIER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local members = redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
return math.max(members, redis.call('PUBLISH', ARGV[1], ARGV[2]))`

export interface ChangeFeed {
  /** The bookmark to take right before loading a grain's graph from Redis. */
  mark(): number
  /** True when a graph loaded after `mark` is provably still current. */
  fresh(grainId: string, mark: number): boolean
  /**
   * Resolves once every process on the feed has applied every change
   * published before the call (or stopped trusting its cache). Writers call
   * it before answering, so the next request anywhere sees their write.
   */
  settle(): Promise<void>
  /** Calls `handler` with the grain id of every change, after the feed has applied it. */
  onChange(handler: (grainId: string) => void): void
  /**
   * Delivers another channel's messages too, on the same connection, so
   * `settle()` covers them as well (Redis delivers one connection's messages
   * in the order it ran the publishes, whatever their channel).
   */
  listen(channel: string, handler: (message: string) => void): Promise<void>
  close(): Promise<void>
}

export interface RedisChangeFeedOptions {
  /** A connection for publishing barriers and acknowledgements (any client; not the subscriber). Its key prefix names the installation. */
  publisher: Redis
  /** A connection of its own, which the feed puts in subscriber mode and closes. */
  subscriber: Redis
  leaseMs?: number
  /** Monotonic clock in ms. */
  now?: () => number
  onError?: (err: unknown) => void
}

/** Publishes a grain change from outside a script (a MULTI, say). */
export const grainChangeMessage = (grainId: string): string => `g:${grainId}`

/** The grain-changes channel's full name on this client (with its key prefix, which Redis does not apply to channels). */
export const grainChangesChannel = (redis: Redis): string => channelName(redis, keys.grainChanges())

export async function redisChangeFeed (opts: RedisChangeFeedOptions): Promise<ChangeFeed> {
  const { publisher, subscriber } = opts
  const channel = grainChangesChannel(publisher)
  const membersKey = keys.grainChangesMembers()
  const instance = randomBytes(12).toString('base64url')
  const now = opts.now ?? ((): number => performance.now())
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS
  const onError = opts.onError ?? ((): void => {})
  const watch = new ChangeWatch(now, leaseMs)
  const handlers: Array<(grainId: string) => void> = []
  const listeners = new Map<string, (message: string) => void>()
  const barriers = new Map<string, { needed: number, got: number, done: () => void }>()
  let subscribed = false
  let pinging = false
  let closed = false

  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) {
      listeners.get(from)?.(message)
      return
    }
    const kind = message.slice(0, 2)
    const rest = message.slice(2)
    if (kind === 'g:') {
      watch.changed(rest)
      for (const h of handlers) h(rest)
    } else if (kind === 'b:') {
      publisher.publish(channel, `a:${rest}`).catch(onError)
    } else if (kind === 'a:') {
      const b = barriers.get(rest)
      if (b !== undefined && ++b.got >= b.needed) b.done()
    }
  })
  // Messages may be missed from the moment the connection drops until it is subscribed again.
  subscriber.on('close', () => {
    subscribed = false
    watch.lost()
  })
  const subscribe = async (): Promise<void> => {
    await subscriber.subscribe(channel, ...listeners.keys())
    // Graphs loaded before the subscription was in place may have missed changes.
    watch.lost()
    subscribed = true
  }

  const heartbeat = (): void => {
    if (!subscribed || pinging) return
    pinging = true
    const sentAt = now()
    const epoch = watch.currentEpoch()
    subscriber.ping().then(() => { watch.heartbeat(sentAt, epoch) }, onError).finally(() => { pinging = false })
    publisher.eval(REGISTER, 1, membersKey, instance, String(leaseMs)).catch(onError)
  }
  const timer = setInterval(heartbeat, HEARTBEAT_INTERVAL_MS)
  timer.unref()

  if (subscriber.status === 'wait') await subscriber.connect()
  await subscribe()
  // After a reconnect (ioredis resubscribes by itself too): confirm the subscription before trusting heartbeats again.
  subscriber.on('ready', () => {
    if (!closed && !subscribed) subscribe().catch(onError)
  })
  heartbeat()

  return {
    mark: () => watch.mark(),
    fresh: (grainId, mark) => watch.fresh(grainId, mark),
    async settle () {
      const nonce = randomBytes(12).toString('base64url')
      let timeout: NodeJS.Timeout | undefined
      const settled = new Promise<void>((resolve) => {
        barriers.set(nonce, { needed: Infinity, got: 0, done: resolve })
        timeout = setTimeout(resolve, leaseMs + SETTLE_MARGIN_MS)
      })
      try {
        const needed = Number(await publisher.eval(BARRIER, 1, membersKey, channel, `b:${nonce}`))
        const b = barriers.get(nonce)!
        b.needed = needed
        if (b.got >= needed) b.done()
        await settled
      } finally {
        clearTimeout(timeout)
        barriers.delete(nonce)
      }
    },
    onChange: (handler) => { handlers.push(handler) },
    async listen (other, handler) {
      if (other === channel || listeners.has(other)) throw new Error(`already listening on ${other}`)
      listeners.set(other, handler)
      await subscriber.subscribe(other)
    },
    async close () {
      closed = true
      clearInterval(timer)
      for (const b of barriers.values()) b.done()
      await publisher.zrem(membersKey, instance).catch(onError)
      await subscriber.quit().catch(() => { subscriber.disconnect() })
    },
  }
}

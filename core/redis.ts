/**
 * The shared Redis client as a fastify plugin: decorates `app.redis` and quits
 * it when the app closes. `connectRedis` accepts `redis://`, `rediss://` and
 * `redis+unix:///path.sock` URLs; `openRedis` also waits until it is connected
 * (what the plugin and the command line use).
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Redis, type RedisOptions } from 'ioredis'
import { withTimeout } from './timeout.js'

declare module 'fastify' {
  interface FastifyInstance { redis: Redis }
}

const UNIX_SCHEME = 'redis+unix://'
const CONNECT_TIMEOUT_MS = 5000

export function connectRedis (url: string, options: RedisOptions = {}): Redis {
  if (url.startsWith(UNIX_SCHEME)) {
    const [path = '', query = ''] = url.slice(UNIX_SCHEME.length).split('?')
    const db = new URLSearchParams(query).get('db')
    return new Redis({ ...options, path: decodeURIComponent(path), ...(db !== null ? { db: Number(db) } : {}) })
  }
  return new Redis(url, options)
}

/** A pub/sub channel's full name on this client: Redis applies no key prefix to channels, so the client's is added here. */
export const channelName = (redis: Redis, channel: string): string => `${redis.options.keyPrefix ?? ''}${channel}`

export interface RedisPluginOptions {
  url: string
  keyPrefix?: string
  /** Batch commands issued in the same tick into one write (ioredis `enableAutoPipelining`). */
  autoPipelining?: boolean
}

/** The URL without its password, fit for a message. */
export const redactRedisUrl = (url: string): string => url.replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@')

/**
 * A connected client; rejects (naming the URL, without its password) when
 * Redis does not answer within CONNECT_TIMEOUT_MS. Quit it when done.
 */
export async function openRedis (url: string, options: RedisOptions = {}): Promise<Redis> {
  const redis = connectRedis(url, { maxRetriesPerRequest: 2, ...options, lazyConnect: true })
  // The socket's own error says more than connect()'s rejection ("Connection is closed.").
  let onError = (_err: Error): void => {}
  const failed = new Promise<never>((_resolve, reject) => { onError = reject })
  redis.on('error', onError)
  try {
    await withTimeout(Promise.race([redis.connect(), failed]), CONNECT_TIMEOUT_MS, `Redis did not answer within ${CONNECT_TIMEOUT_MS} ms`)
  } catch (cause) {
    redis.disconnect()
    throw new Error(`cannot connect to Redis at ${redactRedisUrl(url)}`, { cause })
  } finally {
    redis.off('error', onError)
  }
  return redis
}

export const redisPlugin = fp(async function redisPlugin (app: FastifyInstance, opts: RedisPluginOptions) {
  const redis = await openRedis(opts.url, { enableAutoPipelining: opts.autoPipelining === true, ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}) })
  app.decorate('redis', redis)
  app.addHook('onClose', async () => { await redis.quit() })
}, { name: 'granary-redis' })

/** True when Redis answers PING within `timeoutMs`. */
export async function redisAnswers (redis: Redis, timeoutMs = 1000): Promise<boolean> {
  try {
    return await withTimeout(redis.ping(), timeoutMs, 'timeout') === 'PONG'
  } catch {
    return false
  }
}

/** A stream entry's flat `[field, value, ...]` list as a record (a repeated field: the last value). */
export function streamFields (flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
  return fields
}

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectRedis } from '../core/redis.js'
import { testRedisUrl, uniquePrefix } from './support/env.js'

test('data round-trips through the real Redis, across two separate clients', async (t) => {
  const keyPrefix = uniquePrefix()
  const writer = connectRedis(testRedisUrl(), { keyPrefix })
  const reader = connectRedis(testRedisUrl(), { keyPrefix })
  t.after(async () => {
    await writer.del('greeting', 'counts')
    await Promise.all([writer.quit(), reader.quit()])
  })
  await writer.hset('greeting', { text: 'héllo, grain', n: '42' })
  await writer.multi().incr('counts').incr('counts').exec()
  assert.deepEqual(await reader.hgetall('greeting'), { text: 'héllo, grain', n: '42' })
  assert.equal(await reader.get('counts'), '2')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import { redisGrainRecordStore } from '../grain-records.js'
import { redisPlugin } from '../redis.js'
import { redisUserStore } from '../users.js'
import { sharingPlugin } from './index.js'
import { testRedisUrl, uniquePrefix } from '../../test/support/env.js'

test('the plugin decorates app.sharing on the app\'s Redis client and needs the Redis plugin', async (t) => {
  const keyPrefix = uniquePrefix()
  const app = Fastify()
  t.after(async () => {
    const leftovers = await app.redis.keys(`${keyPrefix}*`)
    for (const k of leftovers) await app.redis.del(k.slice(keyPrefix.length))
    await app.close()
  })
  await app.register(redisPlugin, { url: testRedisUrl(), keyPrefix })
  await app.register(sharingPlugin, { appPermissions: () => ['read', 'write'] })
  await app.ready()
  const alice = await redisUserStore(app.redis).create({ username: 'alice' })
  const bob = await redisUserStore(app.redis).create({ username: 'bob' })
  const grain = await redisGrainRecordStore(app.redis).create({ appId: 'notes', appVersion: '1.0.0', title: 't', owner: alice.id })
  await app.sharing.share({ grainId: grain.id, actor: alice.id, to: bob.id, permissions: ['write'] })
  assert.deepEqual(await app.sharing.userPermissions(grain.id, bob.id), ['write'])

  const lonely = Fastify()
  t.after(() => lonely.close())
  await assert.rejects(async () => { await lonely.register(sharingPlugin, { appPermissions: () => [] }); await lonely.ready() }, /granary-redis/)
})

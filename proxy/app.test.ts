import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadProxyConfig } from '../core/settings.js'
import { testRedisUrl, uniquePrefix } from '../test/support/env.js'
import { build } from './app.js'
import type { ControlPlaneClient } from './control-plane-client.js'

const controlPlaneAnswering = (docker: boolean): ControlPlaneClient => ({
  call: async () => { throw new Error('not used') },
  health: async () => ({ ok: docker, redis: true, docker }),
})
const controlPlaneDown: ControlPlaneClient = { call: async () => { throw new Error('down') }, health: async () => undefined }

test('GET /healthz answers 200 with Redis and Docker reachable', async (t) => {
  const app = await build({ config: loadProxyConfig({}), controlPlane: controlPlaneAnswering(true), redisUrl: testRedisUrl(), redisKeyPrefix: uniquePrefix() })
  t.after(() => app.close())
  const res = await app.inject({ url: '/healthz' })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { ok: true, redis: true, controlPlane: true, docker: true })
})

test('GET /healthz answers 503 and says what is missing', async (t) => {
  const app = await build({ config: loadProxyConfig({}), controlPlane: controlPlaneDown, redisUrl: testRedisUrl(), redisKeyPrefix: uniquePrefix() })
  t.after(() => app.close())
  const res = await app.inject({ url: '/healthz' })
  assert.equal(res.statusCode, 503)
  assert.deepEqual(res.json(), { ok: false, redis: true, controlPlane: false, docker: false })
})

test('unknown routes answer a JSON 404', async (t) => {
  const app = await build({ config: loadProxyConfig({}), controlPlane: controlPlaneDown, redisUrl: testRedisUrl(), redisKeyPrefix: uniquePrefix() })
  t.after(() => app.close())
  const res = await app.inject({ url: '/nope?x=1' })
  assert.equal(res.statusCode, 404)
  assert.deepEqual(res.json(), { error: { code: 'ERR_NOT_FOUND', message: 'no route GET /nope' } })
})

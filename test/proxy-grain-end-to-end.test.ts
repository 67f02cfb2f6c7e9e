/**
 * The proxy in front of the real control plane (Docker, the hello fixture
 * image): a user creates a grain through the public API, opens it on its own
 * origin, and the container answers with the headers the proxy set; deleting
 * the grain ends access.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { staticAppDirectory } from '../proxy/apps.js'
import type { ControlPlaneClient } from '../proxy/control-plane-client.js'
import { send } from '../proxy/test-support/grain-upstream.js'
import { openGrain } from '../proxy/test-support/grain-world.js'
import { ADMIN_PASSWORD, SHELL_HOST, createUser, login, sameOrigin, testProxy } from '../proxy/test-support/proxy.js'
import { helloManifest, testControlPlane } from './support/grains.js'

test('create a grain through the API, open it through the proxy, delete it', { timeout: 120_000 }, async (t) => {
  const cp = await testControlPlane(t)
  const client: ControlPlaneClient = {
    call: async <T>(method: string, path: string, body?: unknown) => {
      const res = await cp.call(method as 'GET' | 'POST' | 'DELETE', path, body)
      return { status: res.status, body: res.body as T }
    },
    health: async () => ({ ok: true, redis: true, docker: true }),
  }
  const proxy = await testProxy(t, { redisKeyPrefix: cp.redisKeyPrefix, controlPlane: client, apps: staticAppDirectory([helloManifest()]), serverSecret: 'e2e' })
  await proxy.listen({ host: '127.0.0.1', port: 0 })
  const port = (proxy.server.address() as { port: number }).port
  const admin = await login(proxy, 'admin', ADMIN_PASSWORD)
  await createUser(proxy, admin, 'alice')
  const alice = await login(proxy, 'alice', 'alice-password-123')

  const created = await proxy.inject({ method: 'POST', url: '/api/grains', headers: { ...sameOrigin, cookie: alice }, payload: { appId: 'hello', title: 'Hi' } })
  assert.equal(created.statusCode, 201, created.body)
  const grainId = created.json().grain.id as string
  const grainHost = `${grainId}.${SHELL_HOST}`
  const cookie = await openGrain(proxy, alice, grainId)
  const res = await send(port, { path: '/hello', headers: { host: grainHost, cookie, 'x-permissions': 'admin' } })
  assert.equal(res.status, 200, res.body)
  const body = JSON.parse(res.body)
  assert.equal(body.app, 'hello')
  assert.equal(body.url, '/hello')
  assert.equal(body.headers['x-permissions'], 'read')
  assert.equal(body.headers['x-session-type'], 'browser')
  assert.equal(body.headers['x-grain-id'], grainId)
  assert.match(body.headers['x-user-id'], /^[0-9a-f]{32}$/)

  const listed = await proxy.inject({ url: '/api/grains', headers: { cookie: alice } })
  assert.deepEqual(listed.json().grains.map((g: { id: string }) => g.id), [grainId])
  const deleted = await proxy.inject({ method: 'DELETE', url: `/api/grains/${grainId}`, headers: { ...sameOrigin, cookie: alice } })
  assert.equal(deleted.statusCode, 204)
  const after = await send(port, { headers: { host: grainHost, cookie } })
  assert.ok([403, 404].includes(after.status), `after delete: ${after.status}`)
})

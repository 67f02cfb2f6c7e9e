import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { GrainRecordStore } from '../../core/grain-records.js'
import { staticAppDirectory } from '../apps.js'
import type { ControlPlaneClient } from '../control-plane-client.js'
import { DEMO_APP, share } from '../test-support/grain-world.js'
import { ADMIN_PASSWORD, createUser, login, sameOrigin, testProxy } from '../test-support/proxy.js'

/** A control plane double for grain creation and deletion, on the proxy's own store. */
function grainControlPlane (): ControlPlaneClient & { store?: GrainRecordStore, deleted: string[] } {
  const cp: ControlPlaneClient & { store?: GrainRecordStore, deleted: string[] } = {
    deleted: [],
    health: async () => ({ ok: true, redis: true, docker: true }),
    call: async <T>(method: string, path: string, body?: unknown) => {
      if (method === 'POST' && path === '/grains') {
        const b = body as { appId: string, title: string, owner: string }
        if (b.appId !== 'demo') return { status: 404, body: undefined as T }
        return { status: 201, body: await cp.store!.create({ appId: b.appId, appVersion: '1.0.0', title: b.title, owner: b.owner }) as T }
      }
      const del = /^\/grains\/([a-z2-7]+)$/.exec(path)
      if (method === 'DELETE' && del !== null) {
        cp.deleted.push(del[1]!)
        await cp.store!.delete(del[1]!)
        return { status: 204, body: undefined as T }
      }
      throw new Error(`unexpected ${method} ${path}`)
    },
  }
  return cp
}

test('create, list (owned and shared with me), access graph and delete grains through the API', async (t) => {
  const cp = grainControlPlane()
  const app = await testProxy(t, { controlPlane: cp, apps: staticAppDirectory([DEMO_APP]) })
  cp.store = app.services.grains
  const admin = await login(app, 'admin', ADMIN_PASSWORD)
  const aliceId = await createUser(app, admin, 'alice')
  const bobId = await createUser(app, admin, 'bob')
  const alice = await login(app, 'alice', 'alice-password-123')
  const bob = await login(app, 'bob', 'bob-password-123')

  const apps = await app.inject({ url: '/api/apps', headers: { cookie: alice } })
  assert.deepEqual(apps.json().apps.map((a: { id: string }) => a.id), ['demo'])

  const created = await app.inject({ method: 'POST', url: '/api/grains', headers: { ...sameOrigin, cookie: alice }, payload: { appId: 'demo', title: 'Plans' } })
  assert.equal(created.statusCode, 201, created.body)
  const grain = created.json().grain
  assert.deepEqual(grain.permissions, ['read', 'write'])
  assert.equal((await app.inject({ method: 'POST', url: '/api/grains', headers: { ...sameOrigin, cookie: alice }, payload: { appId: 'nope', title: 'x' } })).statusCode, 404)
  assert.equal((await app.inject({ method: 'POST', url: '/api/grains', headers: { ...sameOrigin, cookie: alice }, payload: { appId: 'demo', title: '' } })).statusCode, 400)

  assert.deepEqual((await app.inject({ url: '/api/grains', headers: { cookie: bob } })).json().grains, [])
  await share(app, alice, grain.id, 'bob', { role: 'viewer' })
  const bobs = (await app.inject({ url: '/api/grains', headers: { cookie: bob } })).json().grains
  assert.equal(bobs.length, 1)
  assert.deepEqual([bobs[0].id, bobs[0].mine, bobs[0].permissions], [grain.id, false, ['read']])
  assert.equal(bobs[0].ownerName, 'alice', 'a grain shared with me says whose it is')

  const access = await app.inject({ url: `/api/grains/${grain.id}/access`, headers: { cookie: alice } })
  assert.equal(access.statusCode, 200)
  assert.ok(access.json().principals.some((p: { permissions: string[] }) => p.permissions.join() === 'read'))
  assert.deepEqual(access.json().names, { [`user:${aliceId}`]: 'alice', [`user:${bobId}`]: 'bob' }, 'the access view names every person in it')

  const bad = await app.inject({ method: 'POST', url: `/api/grains/${grain.id}/shares`, headers: { ...sameOrigin, cookie: bob }, payload: { to: 'admin', permissions: ['write'] } })
  assert.equal(bad.statusCode, 403, 'sharing what you do not hold is refused')
  assert.equal((await app.inject({ method: 'POST', url: `/api/grains/${grain.id}/shares`, headers: { ...sameOrigin, cookie: alice }, payload: { to: 'bob', role: 'nope' } })).statusCode, 400)

  assert.equal((await app.inject({ method: 'DELETE', url: `/api/grains/${grain.id}`, headers: { ...sameOrigin, cookie: bob } })).statusCode, 403, 'only the owner deletes')
  assert.equal((await app.inject({ method: 'DELETE', url: `/api/grains/${grain.id}`, headers: { ...sameOrigin, cookie: alice } })).statusCode, 204)
  assert.deepEqual(cp.deleted, [grain.id])
  assert.deepEqual((await app.inject({ url: '/api/grains', headers: { cookie: alice } })).json().grains, [])
})

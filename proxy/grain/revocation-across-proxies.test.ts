/**
 * DESIGN.md: "Revocation is visible on the very next request that starts after
 * the revoke call returns, on every proxy instance: no stale cache." Two
 * proxy instances on one Redis, each answering grain requests from its cached
 * share graph (core/sharing/change-feed.ts): a revoke through one instance's
 * API is refused on the other's grain host by the next request, every time.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { staticAppDirectory } from '../apps.js'
import { grainWorld, openGrain, share, DEMO_APP } from '../test-support/grain-world.js'
import { sameOrigin, testProxy } from '../test-support/proxy.js'

test('a revoke through one proxy is refused by the very next grain request on another, every time', async (t) => {
  const w = await grainWorld(t)
  const second = await testProxy(t, { redisKeyPrefix: w.prefix, controlPlane: w.cp, apps: staticAppDirectory([DEMO_APP]), serverSecret: 'test-server-secret' })
  const viaSecond = async (cookie: string): Promise<{ status: number, permissions: string | undefined }> => {
    const res = await second.inject({ url: '/', headers: { host: w.grainHost, cookie } })
    return { status: res.statusCode, permissions: res.statusCode === 200 ? String(res.json().headers['x-permissions']) : undefined }
  }
  let cookie = ''
  for (let round = 0; round < 30; round++) {
    const shareId = await share(w.app, w.alice, w.grainId, 'bob', { role: round % 2 === 0 ? 'viewer' : 'editor' })
    if (cookie === '') cookie = await openGrain(w.app, w.bob, w.grainId)
    const expected = round % 2 === 0 ? 'read' : 'read,write'
    assert.deepEqual(await viaSecond(cookie), { status: 200, permissions: expected }, `round ${round}: the share is served`)
    assert.deepEqual(await viaSecond(cookie), { status: 200, permissions: expected }, `round ${round}: from the warm cache too`)
    const revoke = await w.app.inject({ method: 'DELETE', url: `/api/grains/${w.grainId}/shares/${shareId}`, headers: { ...sameOrigin, cookie: w.alice } })
    assert.equal(revoke.statusCode, 204)
    assert.equal((await viaSecond(cookie)).status, 403, `round ${round}: the next request after the revoke is refused`)
  }
})

test('a grain deleted through one proxy is gone for the next request on another', async (t) => {
  const w = await grainWorld(t)
  const second = await testProxy(t, { redisKeyPrefix: w.prefix, controlPlane: w.cp, apps: staticAppDirectory([DEMO_APP]), serverSecret: 'test-server-secret' })
  w.cp.deleteGrain = (grainId) => w.app.services.grains.delete(grainId) // as the control plane does
  const cookie = await openGrain(w.app, w.alice, w.grainId)
  assert.equal((await second.inject({ url: '/', headers: { host: w.grainHost, cookie } })).statusCode, 200)
  const del = await w.app.inject({ method: 'DELETE', url: `/api/grains/${w.grainId}`, headers: { ...sameOrigin, cookie: w.alice } })
  assert.equal(del.statusCode, 204)
  assert.equal((await second.inject({ url: '/', headers: { host: w.grainHost, cookie } })).statusCode, 404)
})

test('an API token revoked through one proxy is refused by the very next request on another', async (t) => {
  const w = await grainWorld(t)
  const second = await testProxy(t, { redisKeyPrefix: w.prefix, controlPlane: w.cp, apps: staticAppDirectory([DEMO_APP]), serverSecret: 'test-server-secret' })
  for (let round = 0; round < 10; round++) {
    const made = await w.app.inject({ method: 'POST', url: `/api/grains/${w.grainId}/tokens`, headers: { ...sameOrigin, cookie: w.alice }, payload: { role: 'viewer', label: `round ${round}` } })
    assert.equal(made.statusCode, 201, made.body)
    const { token, secret } = made.json() as { token: { id: string }, secret: string }
    const viaSecond = () => second.inject({ url: '/', headers: { host: w.grainHost, authorization: `Bearer ${secret}` } })
    assert.equal((await viaSecond()).statusCode, 200, `round ${round}: the token works`)
    assert.equal((await viaSecond()).statusCode, 200, `round ${round}: from the warm cache too`)
    const revoke = await w.app.inject({ method: 'DELETE', url: `/api/grains/${w.grainId}/tokens/${token.id}`, headers: { ...sameOrigin, cookie: w.alice } })
    assert.equal(revoke.statusCode, 204)
    assert.equal((await viaSecond()).statusCode, 401, `round ${round}: refused at once after the revoke`)
  }
})

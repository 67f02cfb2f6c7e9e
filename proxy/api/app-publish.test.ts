/** Publishing apps through the public API reaches the real control plane, for the right people only. */
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import { appsClient } from '../../core/apps-client.js'
import { encodeManifestHeader, MANIFEST_HEADER } from '../../core/control-plane-protocol.js'
import { helloManifest, TEST_SECRET, testControlPlaneOnSocket } from '../../test/support/grains.js'
import { ADMIN_PASSWORD, createUser, login, sameOrigin, testProxy } from '../test-support/proxy.js'

test('POST /api/apps: packagers stream tarballs, only admins name engine images or remove apps, refusals pass through', { timeout: 120_000 }, async (t) => {
  const cp = await testControlPlaneOnSocket(t)
  const proxy = await testProxy(t, { redisKeyPrefix: cp.redisKeyPrefix, appsPublisher: appsClient(cp.socket, TEST_SECRET) })
  const admin = await login(proxy, 'admin', ADMIN_PASSWORD)
  const res = await proxy.inject({ method: 'POST', url: '/api/admin/users', headers: { ...sameOrigin, cookie: admin }, payload: { username: 'pat', password: 'pat-password-123', role: 'packager' } })
  assert.equal(res.statusCode, 201, res.body)
  await createUser(proxy, admin, 'uma')
  const pat = await login(proxy, 'pat', 'pat-password-123')
  const uma = await login(proxy, 'uma', 'uma-password-123')

  const manifest = helloManifest({ id: 'published', roles: [{ id: 'viewer', title: 'Viewer', permissions: ['read'], default: true }] })
  const tarUpload = (cookie: string, body: Buffer, headers: Record<string, string> = sameOrigin) => proxy.inject({
    method: 'POST',
    url: '/api/apps',
    headers: { ...headers, cookie, 'content-type': 'application/x-tar', [MANIFEST_HEADER]: encodeManifestHeader(JSON.stringify(manifest)) },
    payload: Readable.from([body]),
  })
  const appIds = async (): Promise<string[]> => (await proxy.inject({ url: '/api/apps', headers: { cookie: uma } })).json().apps.map((a: { id: string }) => a.id)

  const byUser = await tarUpload(uma, Buffer.from('not a tar'))
  assert.equal(byUser.statusCode, 403, 'a plain user may not publish')
  const crossSite = await tarUpload(pat, Buffer.from('x'), { host: sameOrigin.host, origin: 'https://evil.example' })
  assert.equal(crossSite.statusCode, 403, 'a cross-site upload is refused')

  const corrupt = await tarUpload(pat, Buffer.alloc(4096, 7))
  assert.equal(corrupt.statusCode, 400, corrupt.body)
  assert.equal(corrupt.json().error.code, 'APP_ERR_BAD_IMAGE', 'the control plane\'s refusal reaches the packager')
  assert.deepEqual(await appIds(), [], 'nothing is registered from a broken tarball')

  const asJson = { manifest: JSON.stringify(manifest) }
  const byPackager = await proxy.inject({ method: 'POST', url: '/api/apps', headers: { ...sameOrigin, cookie: pat }, payload: asJson })
  assert.equal(byPackager.statusCode, 403, 'naming an engine image is for admins')
  const byAdmin = await proxy.inject({ method: 'POST', url: '/api/apps', headers: { ...sameOrigin, cookie: admin }, payload: asJson })
  assert.equal(byAdmin.statusCode, 201, byAdmin.body)
  assert.deepEqual(await appIds(), ['published'], 'a published app is listed at once')

  const again = await proxy.inject({ method: 'POST', url: '/api/apps', headers: { ...sameOrigin, cookie: admin }, payload: asJson })
  assert.equal(again.statusCode, 409, 'the same version again is refused')

  assert.equal((await proxy.inject({ method: 'DELETE', url: '/api/apps/published', headers: { ...sameOrigin, cookie: pat } })).statusCode, 403)
  assert.equal((await proxy.inject({ method: 'DELETE', url: '/api/apps/published', headers: { ...sameOrigin, cookie: admin } })).statusCode, 204)
  assert.deepEqual(await appIds(), [])
})

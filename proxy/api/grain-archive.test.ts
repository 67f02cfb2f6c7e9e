/** Grain export and import through the public API, against the real control plane and its data directory. */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import tar from 'tar-stream'
import { grainArchiveClient } from '../../core/grain-archive-client.js'
import { TEST_SECRET, testControlPlaneOnSocket } from '../../test/support/grains.js'
import { ADMIN_PASSWORD, createUser, login, sameOrigin, testProxy } from '../test-support/proxy.js'

async function tarOf (entries: Array<{ name: string, body: string }>): Promise<Buffer> {
  const pack = tar.pack()
  for (const e of entries) pack.entry({ name: e.name }, e.body)
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const c of pack) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

test('the owner exports a grain; another user imports it as a new grain of theirs; hostile archives change nothing', { timeout: 120_000 }, async (t) => {
  const cp = await testControlPlaneOnSocket(t)
  const proxy = await testProxy(t, { redisKeyPrefix: cp.redisKeyPrefix, grainArchives: grainArchiveClient(cp.socket, TEST_SECRET) })
  const admin = await login(proxy, 'admin', ADMIN_PASSWORD)
  const aliceId = await createUser(proxy, admin, 'alice')
  const bobId = await createUser(proxy, admin, 'bob')
  const alice = await login(proxy, 'alice', 'alice-password-123')
  const bob = await login(proxy, 'bob', 'bob-password-123')

  const created = await cp.call('POST', '/grains', { appId: 'hello', title: 'Diary', owner: aliceId })
  assert.equal(created.status, 201)
  const grainId = created.body.id as string
  const grainDir = join(cp.dataDir, 'grains', grainId)
  mkdirSync(join(grainDir, 'notes'), { recursive: true })
  writeFileSync(join(grainDir, 'notes', 'today.txt'), 'dear diary')

  const byBob = await proxy.inject({ url: `/api/grains/${grainId}/export`, headers: { cookie: bob } })
  assert.equal(byBob.statusCode, 403, 'only the owner exports')
  const exported = await proxy.inject({ url: `/api/grains/${grainId}/export`, headers: { cookie: alice } })
  assert.equal(exported.statusCode, 200, exported.body)
  assert.equal(exported.headers['content-type'], 'application/x-tar')
  assert.match(String(exported.headers['content-disposition']), /filename="Diary\.granary\.tar"/)

  const importAs = (cookie: string, body: Buffer, headers: Record<string, string> = sameOrigin) => proxy.inject({
    method: 'POST', url: '/api/grains/import?title=Copy', headers: { ...headers, cookie, 'content-type': 'application/x-tar' }, payload: Readable.from([body]),
  })
  const imported = await importAs(bob, exported.rawPayload)
  assert.equal(imported.statusCode, 201, imported.body)
  const copy = imported.json().grain
  assert.deepEqual([copy.owner, copy.appId, copy.title, copy.mine], [bobId, 'hello', 'Copy', true])
  assert.notEqual(copy.id, grainId)
  assert.equal(readFileSync(join(cp.dataDir, 'grains', copy.id, 'notes', 'today.txt'), 'utf8'), 'dear diary')
  const audit = (await proxy.inject({ url: '/api/admin/audit', headers: { cookie: admin } })).json().events as Array<{ action: string, actor: string, grainId?: string }>
  assert.deepEqual(audit.filter((e) => e.action.startsWith('grain-')).map((e) => [e.action, e.actor, e.grainId]),
    [['grain-import', bobId, copy.id], ['grain-export', aliceId, grainId]], 'both are in the audit log, newest first')
  const bobsGrains = (await proxy.inject({ url: '/api/grains', headers: { cookie: bob } })).json().grains.map((g: { id: string }) => g.id)
  assert.deepEqual(bobsGrains, [copy.id], 'the import is listed as Bob\'s own grain')

  const crossSite = await importAs(bob, exported.rawPayload, { host: sameOrigin.host, origin: 'https://evil.example' })
  assert.equal(crossSite.statusCode, 403, 'a cross-site import is refused')
  const meta = JSON.stringify({ format: 'granary-grain', version: 1, appId: 'hello', appVersion: '1.0.0', title: 'x', exportedAt: 1 })
  const escape = await importAs(bob, await tarOf([{ name: 'grain.json', body: meta }, { name: 'data/../../escaped.txt', body: 'pwned' }]))
  assert.equal(escape.statusCode, 400, escape.body)
  assert.equal(existsSync(join(cp.dataDir, 'escaped.txt')) || existsSync(join(cp.dataDir, 'grains', 'escaped.txt')), false, 'nothing written outside')
  const unknownApp = await importAs(bob, await tarOf([{ name: 'grain.json', body: meta.replace('"hello"', '"nope"') }]))
  assert.equal(unknownApp.statusCode, 404, unknownApp.body)
  const notTar = await proxy.inject({ method: 'POST', url: '/api/grains/import', headers: { ...sameOrigin, cookie: bob }, payload: { some: 'json' } })
  assert.equal(notTar.statusCode, 415)
  const stillOne = (await proxy.inject({ url: '/api/grains', headers: { cookie: bob } })).json().grains.length
  assert.equal(stillOne, 1, 'refused imports leave no grain behind')
})

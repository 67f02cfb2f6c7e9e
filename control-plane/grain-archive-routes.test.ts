import { strict as assert } from 'node:assert'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import Fastify from 'fastify'
import tar from 'tar-stream'
import { redisGrainRecordStore } from '../core/grain-records.js'
import { httpErrors } from '../core/http-errors.js'
import { redisPlugin } from '../core/redis.js'
import { testRedisUrl, uniquePrefix } from '../test/support/env.js'
import { grainArchiveRoutes } from './grain-archive-routes.js'

async function tarBytes (entries: Array<{ name: string, body?: string, type?: 'symlink', linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack()
  for (const { body, ...h } of entries) {
    if (h.type === undefined) pack.entry(h, body ?? '')
    else pack.entry(h)
  }
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const c of Readable.from(pack)) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function setup (t: { after: (fn: () => Promise<void> | void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'grain-archive-routes-'))
  const dataDir = join(root, 'data')
  mkdirSync(join(root, 'outside'))
  const app = Fastify()
  await app.register(httpErrors)
  const prefix = uniquePrefix()
  await app.register(redisPlugin, { url: testRedisUrl(), keyPrefix: prefix })
  const grains = redisGrainRecordStore(app.redis)
  const stopped: string[] = []
  await app.register(grainArchiveRoutes, {
    grains,
    dataDir,
    appExists: async (id) => id === 'notes',
    stopGrain: async (id) => { stopped.push(id) },
    limits: { maxTotalBytes: 100_000 },
  })
  t.after(async () => {
    const found = await app.redis.keys('*').then((ks) => ks.map((k) => k.slice(prefix.length)))
    if (found.length > 0) await app.redis.del(...found)
    await app.close()
    rmSync(root, { recursive: true, force: true })
  })
  return { app, grains, dataDir, root, stopped }
}

const OWNER = 'bobbbbbbbbbbbbbb'

test('a grain exported then imported is a new grain of the importer with the same data', async (t) => {
  const { app, grains, dataDir, stopped } = await setup(t)
  const grain = await grains.create({ appId: 'notes', appVersion: '1.2.0', title: 'Shopping', owner: 'alicealicealice2' })
  mkdirSync(join(dataDir, 'grains', grain.id, 'sub'), { recursive: true })
  writeFileSync(join(dataDir, 'grains', grain.id, 'sub', 'note.txt'), 'milk')

  const exported = await app.inject({ method: 'GET', url: `/grains/${grain.id}/export` })
  assert.equal(exported.statusCode, 200)
  assert.equal(exported.headers['content-type'], 'application/x-tar')
  assert.deepEqual(stopped, [grain.id], 'the grain is stopped before its files are read')

  const imported = await app.inject({ method: 'POST', url: `/grains/import?owner=${OWNER}`, headers: { 'content-type': 'application/x-tar' }, payload: exported.rawPayload })
  assert.equal(imported.statusCode, 201, imported.body)
  const copy = imported.json<{ id: string, owner: string, appId: string, appVersion: string, title: string }>()
  assert.notEqual(copy.id, grain.id)
  assert.deepEqual({ owner: copy.owner, appId: copy.appId, appVersion: copy.appVersion, title: copy.title }, { owner: OWNER, appId: 'notes', appVersion: '1.2.0', title: 'Shopping' })
  assert.equal(readFileSync(join(dataDir, 'grains', copy.id, 'sub', 'note.txt'), 'utf8'), 'milk')
  assert.deepEqual((await grains.listOwnedBy(OWNER)).map((g) => g.id), [copy.id])
})

test('hostile or unknown-app archives are refused: no grain record, no file anywhere', async (t) => {
  const { app, grains, dataDir, root } = await setup(t)
  const meta = (appId: string) => JSON.stringify({ format: 'granary-grain', version: 1, appId, appVersion: '1.0.0', title: 'x', exportedAt: 1 })
  const cases: Array<[Buffer, number, string]> = [
    [await tarBytes([{ name: 'grain.json', body: meta('unknown-app') }, { name: 'data/a', body: 'x' }]), 404, 'APP_ERR_NOT_FOUND'],
    [await tarBytes([{ name: 'grain.json', body: meta('notes') }, { name: 'data/../../../outside/pwned', body: 'x' }]), 400, 'GRAIN_ERR_ARCHIVE_INVALID'],
    [await tarBytes([{ name: 'grain.json', body: meta('notes') }, { name: 'data/l', type: 'symlink', linkname: '../../../outside' }]), 400, 'GRAIN_ERR_ARCHIVE_INVALID'],
    [await tarBytes([{ name: 'grain.json', body: meta('notes') }, { name: 'data/big', body: 'x'.repeat(200_000) }]), 413, 'GRAIN_ERR_ARCHIVE_TOO_LARGE'],
    [Buffer.from('definitely not a tar archive '.repeat(50)), 400, 'GRAIN_ERR_ARCHIVE_INVALID'],
  ]
  for (const [payload, status, code] of cases) {
    const res = await app.inject({ method: 'POST', url: `/grains/import?owner=${OWNER}`, headers: { 'content-type': 'application/x-tar' }, payload })
    assert.equal(res.statusCode, status, res.body)
    assert.equal(res.json<{ error: { code: string } }>().error.code, code)
  }
  assert.deepEqual(await grains.listAll(), [])
  assert.deepEqual(readdirSync(join(root, 'outside')), [])
  assert.deepEqual(existsSync(join(dataDir, 'grains')) ? readdirSync(join(dataDir, 'grains')) : [], [], 'no staging directory is left behind')
})

test('bad requests: unknown grain, bad ids, missing owner, not a tar body', async (t) => {
  const { app } = await setup(t)
  assert.equal((await app.inject({ method: 'GET', url: '/grains/aaaaaaaaaaaaaaaa/export' })).statusCode, 404)
  assert.equal((await app.inject({ method: 'GET', url: '/grains/..%2F..%2Fetc/export' })).statusCode, 400)
  assert.equal((await app.inject({ method: 'POST', url: '/grains/import', headers: { 'content-type': 'application/x-tar' }, payload: Buffer.alloc(10) })).statusCode, 400)
  assert.equal((await app.inject({ method: 'POST', url: `/grains/import?owner=${OWNER}`, payload: { not: 'a tar' } })).statusCode, 415)
})

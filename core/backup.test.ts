import { strict as assert } from 'node:assert'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { test } from 'node:test'
import tar from 'tar-stream'
import { connectRedis } from './redis.js'
import { readBackup, writeBackup } from './backup.js'
import { redisGrainRecordStore } from './grain-records.js'
import { keys } from './keys.js'
import { testRedisUrl, uniquePrefix } from '../test/support/env.js'

async function collect (stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

function setup (t: { after: (fn: () => Promise<void> | void) => void }) {
  const redis = connectRedis(testRedisUrl())
  const root = mkdtempSync(join(tmpdir(), 'granary-backup-'))
  const prefixes: string[] = []
  t.after(async () => {
    for (const p of prefixes) {
      const found = await redis.keys(`${p}*`)
      if (found.length > 0) await redis.del(...found)
    }
    await redis.quit()
    rmSync(root, { recursive: true, force: true })
  })
  const prefix = (): string => { const p = uniquePrefix(); prefixes.push(p); return p }
  return { redis, root, prefix }
}

test('a backup restored into an empty installation gives back every key, TTL and grain file', async (t) => {
  const { redis, root, prefix } = setup(t)
  const src = prefix()
  const scoped = connectRedis(testRedisUrl(), { keyPrefix: src })
  t.after(() => { scoped.disconnect() })
  const grains = redisGrainRecordStore(scoped)
  const g1 = await grains.create({ appId: 'notes', appVersion: '1.0.0', title: 'Shopping', owner: 'alice' })
  const g2 = await grains.create({ appId: 'notes', appVersion: '1.0.0', title: 'Never opened', owner: 'alice' })
  await scoped.hset(`grain:${g1.id}:shares`, 'bob', 'read')
  await scoped.set('session:abc', 'alice', 'PX', 600_000)
  await scoped.hset(keys.user('alice'), { id: 'alice', username: 'alice' })
  await scoped.hset(`grain-run:${g1.id}`, { state: 'running', containerId: 'deadbeef' })
  await scoped.sadd('grain-runs:live', g1.id)

  const srcData = join(root, 'src')
  mkdirSync(join(srcData, 'grains', g1.id, 'notes'), { recursive: true })
  writeFileSync(join(srcData, 'grains', g1.id, 'notes', 'milk.txt'), 'milk, eggs')
  symlinkSync('notes/milk.txt', join(srcData, 'grains', g1.id, 'latest'))
  writeFileSync(join(srcData, 'proxy.secret'), 'the-proxy-secret')
  mkdirSync(join(srcData, 'tls'))
  writeFileSync(join(srcData, 'tls', 'cert.pem'), 'CERT')
  writeFileSync(join(srcData, 'unrelated.log'), 'not part of a backup')
  let pausedFor: string[] = []
  const bytes = await collect(writeBackup({ redis, keyPrefix: src, dataDir: srcData, beforeFiles: async (ids) => { pausedFor = ids } }))
  assert.deepEqual(pausedFor.sort(), [g1.id, g2.id].sort())

  const dst = prefix()
  const dstData = join(root, 'dst')
  const manifest = await readBackup(Readable.from([bytes]), { redis, keyPrefix: dst, dataDir: dstData })
  assert.equal(manifest.grains.length, 2)
  const dstClient = connectRedis(testRedisUrl(), { keyPrefix: dst })
  t.after(() => { dstClient.disconnect() })
  const restored = redisGrainRecordStore(dstClient)
  assert.deepEqual(await restored.get(g1.id), g1)
  assert.equal(await redis.hget(`${dst}grain:${g1.id}:shares`, 'bob'), 'read')
  const ttl = await redis.pttl(`${dst}session:abc`)
  assert.ok(ttl > 500_000 && ttl <= 600_000, `TTL kept (${ttl})`)
  assert.equal(await redis.exists(`${dst}grain-run:${g1.id}`, `${dst}grain-runs:live`), 0, 'run-time state is not restored')
  assert.equal(readFileSync(join(dstData, 'grains', g1.id, 'latest'), 'utf8'), 'milk, eggs')
  assert.deepEqual(readdirSync(join(dstData, 'grains')), [g1.id])
  assert.equal(readFileSync(join(dstData, 'proxy.secret'), 'utf8'), 'the-proxy-secret', 'the installation secrets come back')
  assert.equal(readFileSync(join(dstData, 'tls', 'cert.pem'), 'utf8'), 'CERT')
  assert.deepEqual(readdirSync(dstData).sort(), ['grains', 'proxy.secret', 'tls'])

  // Restoring again over it is refused unless asked to replace.
  await assert.rejects(readBackup(Readable.from([bytes]), { redis, keyPrefix: dst, dataDir: dstData }), /already holds/)
  writeFileSync(join(dstData, 'grains', g1.id, 'notes', 'milk.txt'), 'changed')
  writeFileSync(join(dstData, 'proxy.secret'), 'a fresh install made its own')
  await redis.set(`${dst}stray`, 'x')
  await readBackup(Readable.from([bytes]), { redis, keyPrefix: dst, dataDir: dstData, replace: true })
  assert.equal(readFileSync(join(dstData, 'grains', g1.id, 'notes', 'milk.txt'), 'utf8'), 'milk, eggs')
  assert.equal(await redis.exists(`${dst}stray`), 0)
  assert.equal(readFileSync(join(dstData, 'proxy.secret'), 'utf8'), 'the-proxy-secret')
})

test('a hostile backup (traversal, links out, not below a grain id) writes nothing outside', async (t) => {
  const { redis, root, prefix } = setup(t)
  const manifest = { format: 'granary-backup', version: 1, createdAt: 1, redisKeys: 0, grains: [] }
  const make = (entries: Array<Record<string, unknown> & { name: string }>): Readable => {
    const pack = tar.pack()
    pack.entry({ name: 'backup.json' }, JSON.stringify(manifest))
    pack.entry({ name: 'redis.jsonl' }, '')
    for (const { body, ...h } of entries) {
      if (h.type === undefined) pack.entry(h, body as string)
      else pack.entry(h as { name: string })
    }
    pack.finalize()
    return Readable.from(pack)
  }
  const dataDir = join(root, 'data')
  mkdirSync(join(root, 'outside'))
  for (const [entries, pattern] of [
    [[{ name: 'grains/aaaaaaaaaaaa/../../../outside/x', body: 'pwned' }], /\.\./],
    [[{ name: 'grains/../outside/x', body: 'pwned' }], /\.\./],
    [[{ name: 'grains/notanid!/x', body: 'pwned' }], /grain id/],
    [[{ name: 'grains/aaaaaaaaaaaa/link', type: 'symlink', linkname: '/etc' }], /points outside/],
    [[{ name: 'etc/passwd', body: 'pwned' }], /unexpected entry/],
    [[{ name: 'installation/authorized_keys', body: 'pwned' }], /unexpected entry/],
    [[{ name: 'installation/tls/../../outside/x', body: 'pwned' }], /\.\./],
  ] as const) {
    await assert.rejects(readBackup(make([...entries]), { redis, keyPrefix: prefix(), dataDir }), pattern)
    assert.deepEqual(readdirSync(join(root, 'outside')), [])
    assert.deepEqual(readdirSync(join(dataDir, 'grains')), [])
  }
})

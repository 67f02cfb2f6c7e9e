import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { redisAppStore, type AppVersion } from './apps.js'
import type { Manifest } from './manifest/schema.js'
import { parseManifest } from './manifest/validate.js'
import { connectRedis } from './redis.js'
import { testRedisUrl, uniquePrefix } from '../test/support/env.js'

const notes = (() => {
  const res = parseManifest(readFileSync(new URL('../manifests/notes.yaml', import.meta.url), 'utf8'), 'yaml')
  if (!res.ok) throw new Error('notes.yaml is invalid')
  return res.manifest
})()

const versionOf = (version: string, imageId = `sha256:${'1'.repeat(64)}`, manifest: Manifest = notes): AppVersion =>
  ({ version, manifest: { ...manifest, version }, imageRef: manifest.image, imageId, createdAt: Date.now() })

function store (t: { after: (fn: () => unknown) => void }) {
  const redis = connectRedis(testRedisUrl(), { keyPrefix: uniquePrefix() })
  t.after(() => redis.quit())
  return redisAppStore(redis)
}

test('apps: a first version creates the app; newer versions become current, older ones are kept', async (t) => {
  const apps = store(t)
  assert.equal(await apps.get('notes'), undefined)
  const first = await apps.addVersion(versionOf('1.0.0'))
  assert.equal(first.ok, true)
  const second = await apps.addVersion(versionOf('1.10.0', `sha256:${'2'.repeat(64)}`))
  assert.equal(second.ok, true)
  const app = await apps.get('notes')
  assert.equal(app?.current.version, '1.10.0')
  assert.equal(app?.current.imageId, `sha256:${'2'.repeat(64)}`)
  assert.deepEqual(app?.versions, ['1.0.0', '1.10.0'])
  assert.equal((await apps.getVersion('notes', '1.0.0'))?.imageId, `sha256:${'1'.repeat(64)}`)
  assert.equal(await apps.getVersion('notes', '9.9.9'), undefined)
})

test('apps: a version that is not newer is refused and changes nothing', async (t) => {
  const apps = store(t)
  await apps.addVersion(versionOf('1.2.0'))
  for (const version of ['1.2.0', '1.1.9', '1.2.0-rc.1', '0.9.0']) {
    assert.deepEqual(await apps.addVersion(versionOf(version, `sha256:${'9'.repeat(64)}`)), { ok: false, current: '1.2.0' }, version)
  }
  const app = await apps.get('notes')
  assert.deepEqual(app?.versions, ['1.2.0'])
  assert.equal(app?.current.imageId, `sha256:${'1'.repeat(64)}`)
})

test('apps: of two racing submissions of the same version exactly one wins', async (t) => {
  const apps = store(t)
  await apps.addVersion(versionOf('1.0.0'))
  const results = await Promise.all([apps.addVersion(versionOf('2.0.0', `sha256:${'a'.repeat(64)}`)), apps.addVersion(versionOf('2.0.0', `sha256:${'b'.repeat(64)}`))])
  assert.deepEqual(results.map((r) => r.ok).sort(), [false, true])
})

test('apps: list and delete', async (t) => {
  const apps = store(t)
  await apps.addVersion(versionOf('1.0.0'))
  await apps.addVersion(versionOf('1.0.0', undefined, { ...notes, id: 'other' }))
  assert.deepEqual((await apps.list()).map((a) => a.id), ['notes', 'other'])
  assert.equal(await apps.delete('notes'), true)
  assert.equal(await apps.delete('notes'), false)
  assert.deepEqual((await apps.list()).map((a) => a.id), ['other'])
  assert.equal(await apps.getVersion('notes', '1.0.0'), undefined)
  // Deleted means gone: the same id may start again from any version.
  assert.equal((await apps.addVersion(versionOf('0.1.0'))).ok, true)
})

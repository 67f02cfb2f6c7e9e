import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test, type TestContext } from 'node:test'
import { redisAppStore } from '../core/apps.js'
import { connectRedis } from '../core/redis.js'
import { docker } from '../test/support/docker.js'
import { testRedisUrl, uniquePrefix } from '../test/support/env.js'
import { seedApps } from './seed-apps.js'

const MANIFESTS = fileURLToPath(new URL('../manifests/', import.meta.url))

function appStore (t: TestContext) {
  const redis = connectRedis(testRedisUrl(), { keyPrefix: uniquePrefix() })
  t.after(() => redis.quit())
  return redisAppStore(redis)
}

test('seeding registers the shipped example apps, with the ids of their local images', async (t) => {
  const apps = appStore(t)
  const result = await seedApps({ apps, docker, dir: MANIFESTS })
  assert.deepEqual(result, { seeded: ['board', 'notes'], skipped: {} })
  for (const id of ['board', 'notes']) {
    const app = await apps.get(id)
    assert.equal(app?.current.imageId, (await docker.getImage(`granary/${id}:local`).inspect()).Id)
  }
})

test('seeding skips broken manifests and missing images, and never touches a registered app', async (t) => {
  const apps = appStore(t)
  const dir = mkdtempSync(join(tmpdir(), 'granary-seed-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  copyFileSync(join(MANIFESTS, 'notes.yaml'), join(dir, 'notes.yaml'))
  writeFileSync(join(dir, 'absent.yaml'), 'id: absent\nname: Absent\nversion: 1.0.0\nimage: granary-test/absent:1\nport: 8000\ndataPath: /data\npermissions: [{id: read, title: Read}]\nroles: [{id: viewer, title: V, permissions: [read], default: true}]\nactions: [{id: new, title: New}]\n')
  writeFileSync(join(dir, 'broken.yaml'), 'id: broken\nversion: [\n')
  writeFileSync(join(dir, 'README.txt'), 'not a manifest')
  const first = await seedApps({ apps, docker, dir })
  assert.deepEqual(first.seeded, ['notes'])
  assert.deepEqual(Object.keys(first.skipped), ['absent.yaml', 'broken.yaml'])
  assert.equal(first.skipped['absent.yaml'], 'image granary-test/absent:1 is not in the Docker engine')
  assert.match(first.skipped['broken.yaml'] ?? '', /^invalid manifest: not valid YAML/)

  // A newer version published since stays current across restarts.
  const notes = await apps.get('notes')
  await apps.addVersion({ ...notes!.current, version: '9.0.0', manifest: { ...notes!.current.manifest, version: '9.0.0' } })
  const again = await seedApps({ apps, docker, dir })
  assert.deepEqual(again.seeded, [])
  assert.equal((await apps.get('notes'))?.current.version, '9.0.0')
  assert.deepEqual(await seedApps({ apps, docker, dir: join(dir, 'nowhere') }), { seeded: [], skipped: {} })
})

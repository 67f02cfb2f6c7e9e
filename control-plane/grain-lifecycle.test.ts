/**
 * A grain's life on the real Docker engine: created, woken, served, stopped,
 * woken again with its data, hardened, deleted without a trace.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { docker, testLabels } from '../test/support/docker.js'
import { fixtureCatalog, getJson, HELLO_IMAGE, helloManifest, testControlPlane } from '../test/support/grains.js'
import { staticAppCatalog } from './app-catalog.js'
import { IMAGE_LABEL } from './container-spec.js'
import { LABELS } from './docker.js'
import { GRAIN_NETWORK_OPTIONS } from './grain-network.js'
import { bridgeNameFor } from './host-firewall.js'

const containersOf = async (grainId: string) =>
  docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.grain}=${grainId}`] }) })

test('a grain wakes, serves, stops and wakes again with its data kept', async (t) => {
  const cp = await testControlPlane(t)
  const id = await cp.createGrain()
  assert.equal((await cp.call('GET', `/grains/${id}/state`)).body.state, 'stopped')

  const wake = await cp.call('POST', `/grains/${id}/wake`)
  assert.equal(wake.status, 200)
  assert.equal(wake.body.port, 8000)
  const first = await getJson(wake.body, '/hello', { 'x-grain-id': id })
  assert.equal(first.body.count, 1)
  assert.equal(first.body.headers['x-grain-id'], id)
  assert.equal((await cp.call('GET', `/grains/${id}/state`)).body.state, 'running')

  assert.equal((await cp.call('POST', `/grains/${id}/stop`)).status, 204)
  assert.equal((await cp.call('GET', `/grains/${id}/state`)).body.state, 'stopped')
  const [stopped] = await containersOf(id)
  assert.equal(stopped?.State, 'exited')

  const again = await cp.call('POST', `/grains/${id}/wake`)
  assert.equal(again.status, 200)
  assert.equal((await getJson(again.body)).body.count, 2, 'the request counter in the data directory survived the stop')
  assert.equal((await containersOf(id)).length, 1, 'the stopped container was started again, not duplicated')
})

test('a grain container is hardened whatever its manifest says', async (t) => {
  const cp = await testControlPlane(t, { env: { MAX_GRAIN_MEMORY_MB: '48', MAX_GRAIN_PIDS: '32' } })
  const id = await cp.createGrain()
  assert.equal((await cp.call('POST', `/grains/${id}/wake`)).status, 200)
  const [c] = await containersOf(id)
  const info = await docker.getContainer(c!.Id).inspect()
  const h = info.HostConfig
  assert.equal(info.Config.User, '1000:1000')
  assert.deepEqual(h.CapDrop, ['ALL'])
  assert.ok(h.SecurityOpt?.includes('no-new-privileges'))
  assert.equal(h.Privileged, false)
  assert.equal(h.ReadonlyRootfs, true)
  assert.ok(Object.keys(h.Tmpfs ?? {}).includes('/tmp'))
  assert.equal(h.Memory, 48 * 1024 * 1024, 'manifest asks 64 MB, the cap is 48')
  assert.equal(h.PidsLimit, 32)
  assert.equal(h.NanoCpus, 0.5e9)
  assert.equal(h.Init, true)
  assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [cp.network])
  assert.deepEqual(info.NetworkSettings.Ports ?? {}, {})
  assert.ok(!(info.Mounts ?? []).some((m) => m.Source.includes('docker.sock')))
  assert.deepEqual(info.Mounts.map((m) => [m.Source, m.Destination, m.RW]), [[join(cp.dataDir, 'grains', id), '/data', true]])
  for (const [k, v] of Object.entries({ [LABELS.managed]: 'true', [LABELS.grain]: id, [LABELS.app]: 'hello', [LABELS.appVersion]: '1.0.0' })) assert.equal(info.Config.Labels[k], v)
  const net = await docker.getNetwork(cp.network).inspect()
  assert.equal(net.Internal, true)
  assert.equal(net.Options?.['com.docker.network.bridge.enable_icc'], 'false')
})

test('deleting a grain removes its container, its data, its scoped keys and its record', async (t) => {
  const cp = await testControlPlane(t)
  const id = await cp.createGrain()
  assert.equal((await cp.call('POST', `/grains/${id}/wake`)).status, 200)
  await cp.app.redis.set(`grain:${id}:shares:x`, '1')
  await cp.app.redis.set(`grain:${id}x:not-mine`, '1')
  assert.ok(existsSync(join(cp.dataDir, 'grains', id)))
  assert.equal((await cp.call('DELETE', `/grains/${id}`)).status, 204)
  assert.deepEqual(await containersOf(id), [])
  assert.equal(existsSync(join(cp.dataDir, 'grains', id)), false)
  assert.equal(await cp.app.redis.exists(`grain:${id}:shares:x`), 0)
  assert.equal(await cp.app.redis.exists(`grain:${id}x:not-mine`), 1, 'only keys under the grain scope go')
  assert.equal((await cp.call('GET', `/grains/${id}`)).status, 404)
  assert.equal((await cp.call('DELETE', `/grains/${id}`)).status, 404)
  assert.equal((await cp.call('POST', `/grains/${id}/wake`)).status, 404)
})

test('hostile input is refused with 4xx, never 500', async (t) => {
  const cp = await testControlPlane(t)
  for (const [method, url, body] of [
    ['POST', '/grains/..%2F..%2Fetc/wake', undefined],
    ['GET', '/grains/ABC/state', undefined],
    ['DELETE', '/grains/%2e%2e', undefined],
    ['POST', '/grains', { appId: 'hello', title: 'x', owner: '../../root' }],
    ['POST', '/grains', { appId: 'nope', title: 'x', owner: 'owner2345abcd' }],
    ['POST', '/grains', { appId: 'hello', title: '', owner: 'owner2345abcd' }],
    ['POST', '/grains', 'not json'],
    ['POST', '/access', { grainIds: ['../x'] }],
    ['POST', '/access', { grainIds: 'abc' }],
    ['POST', '/grains/abcdefgh2345/wake', undefined],
    ['POST', '/access', { grainIds: Array.from({ length: 10_001 }, () => 'abcdefgh2345') }],
    ['POST', '/access', { grainIds: [], extra: 'x'.repeat(2_000_000) }],
  ] as const) {
    const res = await cp.call(method, url, body)
    assert.ok(res.status >= 400 && res.status < 500, `${method} ${url} → ${res.status}`)
  }
})

test('a grain whose app has a newer version gets it at its next start, with its data', async (t) => {
  const cp = await testControlPlane(t)
  const id = await cp.createGrain()
  assert.equal((await getJson((await cp.call('POST', `/grains/${id}/wake`)).body)).body.count, 1)
  const [v1] = await containersOf(id)

  // The running grain keeps its version until it stops.
  const newImage = (await docker.getImage(HELLO_IMAGE).inspect()).Id
  cp.catalog.set({ manifest: helloManifest({ version: '1.1.0' }), imageId: newImage })
  assert.equal((await cp.call('POST', `/grains/${id}/wake`)).status, 200)
  assert.equal((await containersOf(id))[0]?.Id, v1!.Id)

  assert.equal((await cp.call('POST', `/grains/${id}/stop`)).status, 204)
  const woke = await cp.call('POST', `/grains/${id}/wake`)
  assert.equal((await getJson(woke.body)).body.count, 2, 'data kept across the upgrade')
  const after = await containersOf(id)
  assert.equal(after.length, 1)
  assert.notEqual(after[0]!.Id, v1!.Id, 'a new container')
  assert.equal(after[0]!.Labels[LABELS.appVersion], '1.1.0')
  assert.equal(after[0]!.Labels[IMAGE_LABEL], newImage)
  assert.equal((await cp.call('GET', `/grains/${id}`)).body.appVersion, '1.1.0')
})

test('a same-named network that is not isolated is refused, clearly', async (t) => {
  const cp = await testControlPlane(t)
  await docker.createNetwork({ Name: cp.network, Labels: testLabels(cp.runId) })
  const id = await cp.createGrain()
  const res = await cp.call('POST', `/grains/${id}/wake`)
  assert.equal(res.status, 503)
  assert.match(res.body.error.message, /exists but is not isolated/)
})

test('an isolated same-named network on a bridge the firewall rule does not name is refused, clearly', async (t) => {
  const cp = await testControlPlane(t)
  // Made by hand, as an admin might: isolated, but Docker names its bridge br-<id>.
  await docker.createNetwork({ Name: cp.network, Internal: true, Options: { ...GRAIN_NETWORK_OPTIONS }, Labels: testLabels(cp.runId) })
  const id = await cp.createGrain()
  const res = await cp.call('POST', `/grains/${id}/wake`)
  assert.equal(res.status, 503)
  assert.match(res.body.error.message, new RegExp(`exists on bridge br-[0-9a-f]{12}, not on ${bridgeNameFor(cp.network)}`))
})

test('grains are listed (all or by owner); a grain whose app is gone cannot wake, clearly', async (t) => {
  const catalog = fixtureCatalog()
  const cp = await testControlPlane(t, { catalog })
  const a = await cp.createGrain()
  const other = (await cp.call('POST', '/grains', { appId: 'hello', title: 'theirs', owner: 'someoneelse234' })).body.id
  assert.deepEqual((await cp.call('GET', '/grains')).body.map((g: { id: string }) => g.id).sort(), [a, other].sort())
  assert.deepEqual((await cp.call('GET', '/grains?owner=someoneelse234')).body.map((g: { id: string }) => g.id), [other])
  const got = (await cp.call('GET', `/grains/${a}`)).body
  assert.deepEqual([got.appId, got.appVersion, got.title, got.owner], ['hello', '1.0.0', 'test grain', 'owner2345abcd'])

  const gone = staticAppCatalog([])
  const cp2 = await testControlPlane(t, { sameWorldAs: cp, catalog: gone })
  const res = await cp2.call('POST', `/grains/${a}/wake`)
  assert.equal(res.status, 503)
  assert.equal(res.body.error.code, 'GRAIN_ERR_APP_MISSING')
  assert.match(res.body.error.message, /runs app hello, which is not installed/)
})

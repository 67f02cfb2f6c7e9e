/** Idle grains are paused, then stopped; use (wake or access reports) keeps them up; a paused grain wakes fast. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { docker } from '../test/support/docker.js'
import { fixtureCatalog, getJson, HELLO_IMAGE, helloManifest, testControlPlane, waitUntil } from '../test/support/grains.js'
import { LABELS } from './docker.js'

const dockerState = async (grainId: string) =>
  (await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.grain}=${grainId}`] }) }))[0]?.State

test('an idle grain is paused, then stopped; a paused grain wakes with its data', async (t) => {
  // The manifest asks for a 1.5 s idle timeout, under the 5 min cap.
  const catalog = fixtureCatalog()
  catalog.set({ manifest: helloManifest({ idleTimeoutMs: 1500 }), imageId: HELLO_IMAGE })
  const cp = await testControlPlane(t, { env: { GRAIN_PAUSE_AFTER_MS: '300', GRAIN_IDLE_TIMEOUT_MS: '300000' }, sweepIntervalMs: 100, catalog })
  const id = await cp.createGrain()
  const address = (await cp.call('POST', `/grains/${id}/wake`)).body
  assert.equal((await getJson(address)).body.count, 1)

  await waitUntil('the pause', async () => (await cp.call('GET', `/grains/${id}/state`)).body.state === 'paused', 3000)
  // The state records the decision before Docker carries it out; on a loaded machine the pause lands a little later.
  await waitUntil('Docker to pause the container', async () => await dockerState(id) === 'paused', 3000)
  const began = Date.now()
  const woke = await cp.call('POST', `/grains/${id}/wake`)
  assert.deepEqual(woke.body, address, 'same container, same address')
  assert.equal((await getJson(woke.body)).body.count, 2)
  assert.ok(Date.now() - began < 1000)
  assert.equal(await dockerState(id), 'running')

  await waitUntil('the idle stop', async () => (await cp.call('GET', `/grains/${id}/state`)).body.state === 'stopped', 5000)
  await waitUntil('the container to exit', async () => await dockerState(id) === 'exited', 5000)
  assert.equal((await getJson((await cp.call('POST', `/grains/${id}/wake`)).body)).body.count, 3)
})

test('access reports keep a grain running', async (t) => {
  const cp = await testControlPlane(t, { env: { GRAIN_PAUSE_AFTER_MS: '600' }, sweepIntervalMs: 100 })
  const id = await cp.createGrain()
  assert.equal((await cp.call('POST', `/grains/${id}/wake`)).status, 200)
  for (let i = 0; i < 8; i++) {
    assert.equal((await cp.call('POST', '/access', { grainIds: [id, 'unknowngrain234'] })).status, 204)
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  assert.equal((await cp.call('GET', `/grains/${id}/state`)).body.state, 'running', 'used every 150 ms, never idle for 600 ms')
  await waitUntil('the pause once reports stop', async () => (await cp.call('GET', `/grains/${id}/state`)).body.state === 'paused', 3000)
})

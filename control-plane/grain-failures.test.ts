/** Grains that cannot start fail clearly; grains that crash come back on the next wake with their data. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { docker } from '../test/support/docker.js'
import { getJson, testControlPlane, waitUntil } from '../test/support/grains.js'
import { LABELS } from './docker.js'

// Long enough for the app to print its line even on a loaded 2-core machine.
const START_TIMEOUT_MS = 4000

test('a grain that never listens fails within the start timeout, with its log tail', async (t) => {
  const cp = await testControlPlane(t, { env: { GRAIN_START_TIMEOUT_MS: String(START_TIMEOUT_MS) } })
  const id = await cp.createGrain('hello-broken')
  const began = Date.now()
  const res = await cp.call('POST', `/grains/${id}/wake`)
  const took = Date.now() - began
  assert.equal(res.status, 503)
  assert.equal(res.body.error.code, 'GRAIN_ERR_START_FAILED')
  assert.match(res.body.error.message, new RegExp(`did not accept connections on port 8000 within ${START_TIMEOUT_MS} ms`))
  assert.match(res.body.error.message, /waiting for a database that will never come/, 'the log tail is in the message')
  assert.ok(took < START_TIMEOUT_MS + 5000, `failed after ${took} ms`)
  const state = (await cp.call('GET', `/grains/${id}/state`)).body
  assert.equal(state.state, 'failed')
  assert.match(state.reason, /did not accept connections/)
  const [c] = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.grain}=${id}`] }) })
  assert.notEqual(c?.State, 'running', 'the failed container does not linger running')
  assert.match((await cp.call('GET', '/metrics')).body, /granary_grain_start_failures_total 1\n/)
})

test('a grain whose process dies (crash or docker kill) restarts on the next wake with its data', async (t) => {
  const cp = await testControlPlane(t)
  const id = await cp.createGrain()
  const address = (await cp.call('POST', `/grains/${id}/wake`)).body
  assert.equal((await getJson(address)).body.count, 1)
  await fetch(`http://${address.host}:${address.port}/crash`).catch(() => {})
  await waitUntil('the crash to be noticed', async () => (await cp.call('GET', `/grains/${id}/state`)).body.state === 'stopped')
  assert.match((await cp.call('GET', `/grains/${id}/state`)).body.reason, /exited with code 1/)
  const againRes = await cp.call('POST', `/grains/${id}/wake`)
  assert.equal(againRes.status, 200, JSON.stringify(againRes.body))
  const again = againRes.body
  assert.equal((await getJson(again)).body.count, 2)

  const [c] = await docker.listContainers({ filters: JSON.stringify({ label: [`${LABELS.grain}=${id}`] }) })
  await docker.getContainer(c!.Id).kill({ signal: 'SIGKILL' })
  await waitUntil('the kill to be noticed', async () => (await cp.call('GET', `/grains/${id}/state`)).body.state === 'stopped')
  const third = (await cp.call('POST', `/grains/${id}/wake`)).body
  assert.equal((await getJson(third)).body.count, 3)
  assert.match((await cp.call('GET', '/metrics')).body, /granary_grain_crashes_total 2\n/)
})

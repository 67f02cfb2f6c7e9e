import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CONTROL_SECRET_HEADER } from '../core/control-plane-protocol.js'
import { loadControlPlaneConfig } from '../core/settings.js'
import { testLabels } from '../test/support/docker.js'
import { removeGrainWorld } from '../test/support/grains.js'
import { testRedisUrl, testRunId } from '../test/support/env.js'
import { build } from './app.js'

const SECRET = 'x'.repeat(64)
const runId = testRunId()
const isolated = { grainLabels: testLabels(runId), grainNetwork: `granary-test-${runId}`, sweepIntervalMs: 0 }

test('the control plane refuses callers without the shared secret', async (t) => {
  const app = await build({ config: loadControlPlaneConfig({}), secret: SECRET, redisUrl: testRedisUrl(), ...isolated })
  t.after(async () => { await app.close(); await removeGrainWorld(runId, isolated.grainNetwork) })
  for (const headers of [{}, { [CONTROL_SECRET_HEADER]: 'y'.repeat(64) }, { [CONTROL_SECRET_HEADER]: SECRET.slice(1) }]) {
    const res = await app.inject({ url: '/healthz', headers })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().error.code, 'ERR_UNAUTHORIZED')
  }
})

test('the control plane health reports Redis and Docker', async (t) => {
  const app = await build({ config: loadControlPlaneConfig({}), secret: SECRET, redisUrl: testRedisUrl(), ...isolated })
  t.after(async () => { await app.close(); await removeGrainWorld(runId, isolated.grainNetwork) })
  const res = await app.inject({ url: '/healthz', headers: { [CONTROL_SECRET_HEADER]: SECRET } })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { ok: true, redis: true, docker: true })
})

test('without a Docker engine the control plane still starts and its health says so', async (t) => {
  const app = await build({ config: loadControlPlaneConfig({ DOCKER_SOCKET: '/nonexistent/docker.sock' }), secret: SECRET, redisUrl: testRedisUrl(), ...isolated })
  t.after(() => app.close())
  const res = await app.inject({ url: '/healthz', headers: { [CONTROL_SECRET_HEADER]: SECRET } })
  assert.deepEqual(res.json(), { ok: false, redis: true, docker: false })
})

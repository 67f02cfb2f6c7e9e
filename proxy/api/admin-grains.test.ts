/**
 * The admin's grain list and stop button, in-process on a real Redis with a
 * control plane double that keeps run states as the real one does: every
 * grain with its owner's names and its run state, those running first;
 * stopping goes through the control plane and into the audit log; nobody but
 * an admin gets either, and bad input is a 4xx, never a 500.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ERR_UNAVAILABLE } from '../../core/errors.js'
import { send } from '../test-support/grain-upstream.js'
import { grainWorld, openGrain } from '../test-support/grain-world.js'
import { sameOrigin } from '../test-support/proxy.js'

interface AdminGrain { id: string, title: string, appId: string, appVersion: string, owner: string, ownerUsername: string, ownerName: string, state: string, createdAt: number, lastUsedAt: number }

test('the admin sees every grain with its owner and run state, running ones first, and stops one', async (t) => {
  const w = await grainWorld(t)
  const idle = await w.app.services.grains.create({ appId: 'demo', appVersion: '1.0.0', title: 'Bob\'s idle notes', owner: w.bobId })
  // Alice opens her grain: the control plane starts it.
  const opened = await send(w.port, { headers: { host: w.grainHost, cookie: await openGrain(w.app, w.alice, w.grainId) } })
  assert.equal(opened.status, 200)

  const listed = await w.app.inject({ url: '/api/admin/grains', headers: { cookie: w.admin } })
  assert.equal(listed.statusCode, 200, listed.body)
  const grains = listed.json().grains as AdminGrain[]
  assert.deepEqual(grains.map((g) => [g.title, g.state, g.ownerName, g.ownerUsername]), [
    ['Doc', 'running', 'Alice Ångström', 'alice'],
    ['Bob\'s idle notes', 'stopped', 'bob', 'bob'],
  ], 'the running grain first, each with its owner named')
  const doc = grains[0]!
  assert.deepEqual([doc.id, doc.appId, doc.appVersion, doc.owner], [w.grainId, 'demo', '1.0.0', w.aliceId])
  assert.ok(doc.lastUsedAt >= doc.createdAt && doc.createdAt > 0)
  assert.equal(grains[1]!.id, idle.id)

  const stopped = await w.app.inject({ method: 'POST', url: `/api/admin/grains/${w.grainId}/stop`, headers: { ...sameOrigin, cookie: w.admin } })
  assert.equal(stopped.statusCode, 204, stopped.body)
  assert.deepEqual(w.cp.stops, [w.grainId], 'stopped through the control plane')
  const after = (await w.app.inject({ url: '/api/admin/grains', headers: { cookie: w.admin } })).json().grains as AdminGrain[]
  assert.equal(after.find((g) => g.id === w.grainId)?.state, 'stopped')

  const [event] = (await w.app.inject({ url: '/api/admin/audit?limit=1', headers: { cookie: w.admin } })).json().events
  assert.deepEqual([event.action, event.actorName, event.grainId, event.grainTitle], ['grain-stop', 'Administrator', w.grainId, 'Doc'], 'the stop is in the audit log')
})

test('admin grain routes: 401 anonymous, 403 for others, 404 unknown grain, 400 malformed id, 503 without a control plane; all JSON', async (t) => {
  const w = await grainWorld(t)
  const stop = (id: string, cookie?: string) =>
    w.app.inject({ method: 'POST', url: `/api/admin/grains/${id}/stop`, headers: { ...sameOrigin, ...(cookie !== undefined ? { cookie } : {}) } })
  const expect = (res: Awaited<ReturnType<typeof stop>>, status: number, code: string): void => {
    assert.equal(res.statusCode, status, res.body)
    assert.equal(res.json().error.code, code)
  }

  expect(await w.app.inject({ url: '/api/admin/grains' }), 401, 'ERR_UNAUTHORIZED')
  expect(await w.app.inject({ url: '/api/admin/grains', headers: { cookie: w.alice } }), 403, 'AUTH_ERR_NOT_ADMIN')
  expect(await stop(w.grainId), 401, 'ERR_UNAUTHORIZED')
  expect(await stop(w.grainId, w.alice), 403, 'AUTH_ERR_NOT_ADMIN')
  expect(await stop('abcdefghijklmnopqrst', w.admin), 404, 'GRAIN_ERR_NOT_FOUND')
  expect(await stop('NOT-AN-ID', w.admin), 400, 'ERR_BAD_REQUEST')
  expect(await w.app.inject({ method: 'POST', url: `/api/admin/grains/${w.grainId}/stop`, headers: { host: sameOrigin.host, origin: 'https://evil.example', cookie: w.admin } }), 403, 'AUTH_ERR_CSRF')
  assert.deepEqual(w.cp.stops, [], 'no refused call reached the control plane')

  w.cp.call = async () => { throw new ERR_UNAVAILABLE('control plane unreachable') }
  expect(await w.app.inject({ url: '/api/admin/grains', headers: { cookie: w.admin } }), 503, 'ERR_UNAVAILABLE')
  expect(await stop(w.grainId, w.admin), 503, 'ERR_UNAVAILABLE')
})

test('the admin routes are in the OpenAPI document', async (t) => {
  const w = await grainWorld(t)
  const doc = (await w.app.inject({ url: '/api/docs/json' })).json()
  assert.ok(doc.paths['/api/admin/grains']?.get, 'GET /api/admin/grains')
  assert.ok(doc.paths['/api/admin/grains/{id}/stop']?.post, 'POST /api/admin/grains/{id}/stop')
  const audit = doc.paths['/api/admin/audit']?.get
  assert.ok(audit, 'GET /api/admin/audit')
  const limit = audit.parameters.find((p: { name: string }) => p.name === 'limit')
  assert.deepEqual([limit.in, limit.schema.minimum, limit.schema.maximum], ['query', 1, 200])
})

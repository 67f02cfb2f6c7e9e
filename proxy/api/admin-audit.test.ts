/**
 * The admin's audit log, in-process on a real Redis: shares and revokes made
 * through the API appear with the people and the grain named, newest first,
 * next to the admin's own actions; paging walks the whole log once; `limit`
 * is bounded; nobody but an admin reads it; bad input is a 4xx, never a 500.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { grainWorld, share } from '../test-support/grain-world.js'
import { createUser, sameOrigin } from '../test-support/proxy.js'

interface Event { id: string, at: number, action: string, actor: string, actorName: string, grainId?: string, grainTitle?: string, subject?: string, subjectName?: string, details: Record<string, string> }

test('shares, revokes and admin actions appear newest first with names; they outlive the grain', async (t) => {
  const w = await grainWorld(t)
  const before = Date.now()
  const shareId = await share(w.app, w.alice, w.grainId, 'bob', { role: 'editor' })
  const revoked = await w.app.inject({ method: 'DELETE', url: `/api/grains/${w.grainId}/shares/${shareId}`, headers: { ...sameOrigin, cookie: w.alice } })
  assert.equal(revoked.statusCode, 204)
  const carolId = await createUser(w.app, w.admin, 'carol')
  assert.equal((await w.app.inject({ method: 'POST', url: `/api/admin/users/${carolId}/disable`, headers: { ...sameOrigin, cookie: w.admin } })).statusCode, 200)

  const res = await w.app.inject({ url: '/api/admin/audit', headers: { cookie: w.admin } })
  assert.equal(res.statusCode, 200, res.body)
  const events = res.json().events as Event[]
  assert.equal(res.json().next, undefined, 'one page holds it all')
  const said = events.filter((e) => e.at >= before && e.action !== 'login')
    .map((e) => [e.action, e.actorName, e.subjectName, e.grainTitle, e.details.permissions])
  assert.deepEqual(said, [
    ['user-disable', 'Administrator', 'carol', undefined, undefined],
    ['user-create', 'Administrator', 'carol', undefined, undefined],
    ['revoke', 'Alice Ångström', 'bob', 'Doc', undefined],
    ['share', 'Alice Ångström', 'bob', 'Doc', 'read,write'],
  ], 'newest first, every person and the grain named')
  const shared = events.find((e) => e.action === 'share')!
  assert.deepEqual([shared.actor, shared.subject, shared.grainId, shared.details.edge], [w.aliceId, w.bobId, w.grainId, shareId])
  assert.ok(events.some((e) => e.action === 'login' && e.actor === w.bobId && e.details.method === 'password'), 'logins are recorded')
  assert.ok(events.every((e, i) => i === 0 || e.at <= events[i - 1]!.at), 'newest first')

  // The grain goes: its own sharing data goes with it, the installation's log stays.
  await w.app.services.grains.delete(w.grainId)
  await w.app.services.sharing.removeGrain(w.grainId)
  const later = (await w.app.inject({ url: '/api/admin/audit', headers: { cookie: w.admin } })).json().events as Event[]
  const orphan = later.find((e) => e.action === 'share')!
  assert.equal(orphan.grainId, w.grainId)
  assert.equal(orphan.grainTitle, undefined, 'a deleted grain has no title to show')
})

test('paging with limit and the cursor walks every event once, newest first', async (t) => {
  const w = await grainWorld(t)
  for (const name of ['dave', 'erin', 'frank']) {
    await share(w.app, w.alice, w.grainId, await createUser(w.app, w.admin, name), { role: 'viewer' })
  }
  const all = (await w.app.inject({ url: '/api/admin/audit?limit=200', headers: { cookie: w.admin } })).json().events as Event[]
  assert.ok(all.length >= 9, `enough events to page through (${all.length})`)

  const walked: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const res = await w.app.inject({ url: `/api/admin/audit?limit=2${cursor !== undefined ? `&before=${cursor}` : ''}`, headers: { cookie: w.admin } })
    assert.equal(res.statusCode, 200, res.body)
    const page = res.json() as { events: Event[], next?: string }
    assert.ok(page.events.length === 2 || page.next === undefined, 'only the last page is short')
    walked.push(...page.events.map((e) => e.id))
    cursor = page.next
    pages++
  } while (cursor !== undefined && pages < 100)
  assert.deepEqual(walked, all.map((e) => e.id), 'the pages together are the whole log, in order, nothing twice')
  assert.equal(pages, Math.ceil(all.length / 2))

  const defaults = (await w.app.inject({ url: '/api/admin/audit', headers: { cookie: w.admin } })).json()
  assert.equal(defaults.events.length, all.length, 'the default page (50) holds these')
})

test('audit log: 401 anonymous, 403 for others; a limit out of bounds or a malformed cursor is a 400 JSON error', async (t) => {
  const w = await grainWorld(t)
  const get = (query: string, cookie: string | null = w.admin) => w.app.inject({ url: `/api/admin/audit${query}`, headers: cookie !== null ? { cookie } : {} })
  const anonymous = await get('', null)
  assert.deepEqual([anonymous.statusCode, anonymous.json().error.code], [401, 'ERR_UNAUTHORIZED'])
  const alice = await get('', w.alice)
  assert.deepEqual([alice.statusCode, alice.json().error.code], [403, 'AUTH_ERR_NOT_ADMIN'])

  for (const query of ['?limit=0', '?limit=201', '?limit=1000000', '?limit=-5', '?limit=abc', '?limit=1.5', '?before=garbage', '?before=1-2-3', `?before=${'9'.repeat(30)}-0`, '?before=']) {
    const res = await get(query)
    assert.equal(res.statusCode, 400, `${query}: ${res.body}`)
    assert.equal(res.json().error.code, 'ERR_BAD_REQUEST', query)
  }
  const edge = await get('?limit=200&before=0-1')
  assert.deepEqual([edge.statusCode, edge.json().events], [200, []], 'nothing is older than the first possible id')
  const far = await get(`?limit=1&before=${Date.now() + 60_000}-0`)
  assert.equal(far.json().events.length, 1, 'a cursor from the future starts at the newest event')
})

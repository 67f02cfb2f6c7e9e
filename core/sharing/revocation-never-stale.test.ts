/**
 * DESIGN.md: "Revocation is visible on the very next request that starts after
 * the revoke call returns, on every proxy instance." Two processes (two
 * services on two Redis connections, each with its warm cache): one revokes,
 * the other checks at once. Plus concurrent writers never leave torn state.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { redisAuditLog } from '../audit.js'
import { keys } from '../keys.js'
import { decodeEdge } from './records.js'
import { sharingWorld } from '../../test/support/sharing.js'

test('a revoke in one process is seen by the very next check in another, every time', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const grain = await w.grain(alice)
  const writer = w.service
  const reader = w.other()
  const toBob = await writer.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'write'] })
  for (let i = 0; i < 150; i++) {
    const edge = await writer.share({ grainId: grain, actor: bob, to: carol, permissions: i % 2 === 0 ? ['read'] : 'all' })
    assert.deepEqual(await reader.userPermissions(grain, carol), i % 2 === 0 ? ['read'] : ['read', 'write'], `round ${i}: share seen`)
    assert.deepEqual(await reader.userPermissions(grain, carol), i % 2 === 0 ? ['read'] : ['read', 'write'], `round ${i}: cached answer agrees`)
    await writer.revoke({ grainId: grain, actor: bob, edgeId: edge.id })
    assert.deepEqual(await reader.userPermissions(grain, carol), [], `round ${i}: revoke seen at once`)
  }
  // Upstream revoke cascades to the reader's cached graph just the same.
  await writer.share({ grainId: grain, actor: bob, to: carol, permissions: 'all' })
  assert.deepEqual(await reader.userPermissions(grain, carol), ['read', 'write'])
  await writer.revoke({ grainId: grain, actor: alice, edgeId: toBob.id })
  assert.deepEqual(await reader.userPermissions(grain, carol), [])
})

test('concurrent shares and revokes from several processes leave a whole, consistent graph', async (t) => {
  const w = await sharingWorld(t)
  const owner = await w.user('owner')
  const people = await Promise.all(Array.from({ length: 8 }, (_, i) => w.user(`p${i}`)))
  const grain = await w.grain(owner)
  const procs = [w.service, w.other(), w.other(), w.other()]
  for (const p of people) await w.service.share({ grainId: grain, actor: owner, to: p, permissions: ['read', 'comment'] })
  const created = new Set<string>()
  let revoked = 0
  const ops: Array<Promise<unknown>> = []
  for (let i = 0; i < 120; i++) {
    const proc = procs[i % procs.length]!
    const from = people[i % people.length]!
    const to = people[(i * 3 + 1) % people.length]!
    if (from === to) continue
    ops.push(proc.share({ grainId: grain, actor: from, to, permissions: i % 3 === 0 ? 'all' : ['read'] })
      .then(async (edge) => {
        created.add(edge.id) // a repeated share answers the existing edge: count edges, not calls
        if (i % 2 === 0) { await procs[(i + 1) % procs.length]!.revoke({ grainId: grain, actor: owner, edgeId: edge.id }); revoked++ }
      }))
  }
  const results = await Promise.allSettled(ops)
  const failures = results.filter((r) => r.status === 'rejected')
  // Conflicts retry; a write may give up only with the documented 409, and a
  // revoke may find its edge already revoked by a racing duplicate.
  for (const f of failures) assert.ok(['ERR_CONFLICT', 'SHARE_ERR_NOT_FOUND'].includes((f as PromiseRejectedResult).reason.code), (f as PromiseRejectedResult).reason.message)

  const shares = await w.redis.hgetall(keys.shares(grain))
  const edges = Object.entries(shares).map(([id, v]) => decodeEdge(id, v))
  assert.ok(edges.every((e) => e !== undefined), 'every stored edge is whole')
  const inbound = await w.redis.hgetall(keys.inbound(grain))
  const counted: Record<string, string> = {}
  for (const e of edges) { const u = e!.to.slice('user:'.length); counted[u] = String(Number(counted[u] ?? 0) + 1) }
  assert.deepEqual(inbound, counted, 'inbound counts match the edges')
  const version = Number(await w.redis.get(keys.sharingVersion(grain)))
  assert.equal(version, people.length + created.size + revoked, 'one version step per successful write')
  assert.equal(await w.redis.xlen(keys.sharingAudit(grain)), version, 'one audit entry per write')
  const installation = (await redisAuditLog(w.redis).page(version + 10)).reverse()
  assert.deepEqual(installation.map((e) => [e.grainId, Number(e.details.version)]), Array.from({ length: version }, (_, i) => [grain, i + 1]),
    'every write is in the installation\'s audit log too, once, in version order')
})

test('a share racing the revoke of the sharer\'s own access never commits after it', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob] = await Promise.all(['alice', 'bob'].map(w.user)) as [string, string]
  const others = await Promise.all(Array.from({ length: 10 }, (_, i) => w.user(`c${i}`)))
  const grain = await w.grain(alice)
  const p1 = w.service
  const p2 = w.other()
  for (let round = 0; round < 10; round++) {
    const toBob = await p1.share({ grainId: grain, actor: alice, to: bob, permissions: ['read'] })
    await p2.userPermissions(grain, bob) // warm p2's cache with Bob holding read
    const [shared, revoked] = await Promise.allSettled([
      p2.share({ grainId: grain, actor: bob, to: others[round]!, permissions: ['read'] }),
      p1.revoke({ grainId: grain, actor: alice, edgeId: toBob.id }),
    ])
    assert.equal(revoked.status, 'fulfilled')
    const log = await p1.auditLog(grain, alice, 5)
    const revokeAt = Number(log.find((e) => e.action === 'revoke')!.fields.version)
    if (shared.status === 'fulfilled') {
      const shareAt = Number(log.find((e) => e.action === 'share' && e.fields.edge === shared.value.id)!.fields.version)
      assert.ok(shareAt < revokeAt, `round ${round}: a successful share committed while Bob still held read`)
    } else {
      assert.equal((shared.reason as any).code, 'ERR_FORBIDDEN', `round ${round}: refused because Bob holds nothing`)
    }
    assert.deepEqual(await p2.userPermissions(grain, others[round]!), [])
  }
})

test('a process that fell behind the capped change log reloads the whole graph and agrees', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const grain = await w.grain(alice)
  const behind = w.other()
  const toBob = await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'write'] })
  await w.service.share({ grainId: grain, actor: bob, to: carol, permissions: 'all' })
  assert.deepEqual(await behind.userPermissions(grain, carol), ['read', 'write'])
  const cachedAt = (await behind.snapshot(grain)).version
  // Three more writes, then the log keeps only the last one: `behind` cannot catch up by changes.
  await w.service.revoke({ grainId: grain, actor: alice, edgeId: toBob.id })
  await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read'] })
  await w.service.share({ grainId: grain, actor: alice, to: carol, permissions: ['comment'] })
  await w.redis.xtrim(keys.sharingChanges(grain), 'MAXLEN', 1)
  const [first] = await w.redis.xrange(keys.sharingChanges(grain), '-', '+', 'COUNT', 1)
  assert.ok(Number(first![0].split('-')[0]) > cachedAt + 1, 'the log no longer covers the cached version')
  assert.deepEqual(await behind.userPermissions(grain, carol), ['read', 'comment'])
  // And a process one write behind catches up through the log.
  await w.service.revoke({ grainId: grain, actor: bob, edgeId: (await w.service.accessGraph(grain, alice)).edges.find((e) => e.from === `user:${bob}`)!.id })
  assert.deepEqual(await behind.userPermissions(grain, carol), ['comment'])
})

/**
 * Who may share and revoke what, and how bad input is refused.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sharingWorld } from '../../test/support/sharing.js'

const code = (c: string) => (err: any): boolean => { assert.equal(err.code, c, err.message); return true }

test('sharing more than you hold is refused, naming what you lack', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const grain = await w.grain(alice)
  await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'comment'] })
  await assert.rejects(w.service.share({ grainId: grain, actor: bob, to: carol, permissions: ['read', 'write', 'admin'] }), (err: any) => {
    assert.equal(err.code, 'SHARE_ERR_NOT_HELD')
    assert.equal(err.statusCode, 403)
    assert.match(err.message, /do not hold: write, admin/)
    return true
  })
  assert.deepEqual(await w.service.userPermissions(grain, carol), [])
  // "all" is fine: it is cut to what Bob holds.
  await w.service.share({ grainId: grain, actor: bob, to: carol, permissions: 'all' })
  assert.deepEqual(await w.service.userPermissions(grain, carol), ['read', 'comment'])
  // Someone holding nothing cannot share at all, not even "all".
  const mallory = await w.user('mallory')
  await assert.rejects(w.service.share({ grainId: grain, actor: mallory, to: carol, permissions: 'all' }), code('ERR_FORBIDDEN'))
})

test('only the sharer or the owner may revoke a share', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map(w.user)) as [string, string, string, string]
  const grain = await w.grain(alice)
  await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: 'all' })
  await w.service.share({ grainId: grain, actor: alice, to: carol, permissions: 'all' })
  const bobToDave = await w.service.share({ grainId: grain, actor: bob, to: dave, permissions: ['read'] })
  // Carol (a holder, but not the sharer) and Dave (the recipient) may not.
  await assert.rejects(w.service.revoke({ grainId: grain, actor: carol, edgeId: bobToDave.id }), code('ERR_FORBIDDEN'))
  await assert.rejects(w.service.revoke({ grainId: grain, actor: dave, edgeId: bobToDave.id }), code('ERR_FORBIDDEN'))
  assert.deepEqual(await w.service.userPermissions(grain, dave), ['read'])
  const graph = await w.service.accessGraph(grain, carol)
  assert.equal(graph.edges.find((e) => e.id === bobToDave.id)?.canRevoke, false)
  assert.equal((await w.service.accessGraph(grain, bob)).edges.find((e) => e.id === bobToDave.id)?.canRevoke, true)
  // The owner may, though she did not share it.
  await w.service.revoke({ grainId: grain, actor: alice, edgeId: bobToDave.id })
  assert.deepEqual(await w.service.userPermissions(grain, dave), [])
  await assert.rejects(w.service.revoke({ grainId: grain, actor: alice, edgeId: bobToDave.id }), code('SHARE_ERR_NOT_FOUND'))
})

test('cycles, diamonds and a 100-deep chain through the store', async (t) => {
  const w = await sharingWorld(t)
  const names = ['owner', 'a', 'b', 'c', 'x']
  const [owner, a, b, c, x] = await Promise.all(names.map(w.user)) as [string, string, string, string, string]
  const grain = await w.grain(owner)
  // Diamond: owner → a (read, write), owner → b (read, comment); a → x (write), b → x (all).
  await w.service.share({ grainId: grain, actor: owner, to: a, permissions: ['read', 'write'] })
  await w.service.share({ grainId: grain, actor: owner, to: b, permissions: ['read', 'comment'] })
  await w.service.share({ grainId: grain, actor: a, to: x, permissions: ['write'] })
  await w.service.share({ grainId: grain, actor: b, to: x, permissions: 'all' })
  assert.deepEqual(await w.service.userPermissions(grain, x), ['read', 'comment', 'write'])
  // Cycle a → c → a ("all" both ways) holds only what is grounded; cutting the ground empties the cycle.
  const toA = (await w.service.accessGraph(grain, owner)).edges.find((e) => e.to === `user:${a}`)!
  await w.service.share({ grainId: grain, actor: a, to: c, permissions: 'all' })
  await w.service.share({ grainId: grain, actor: c, to: a, permissions: 'all' })
  assert.deepEqual(await w.service.userPermissions(grain, c), ['read', 'write'])
  await w.service.revoke({ grainId: grain, actor: owner, edgeId: toA.id })
  assert.deepEqual(await w.service.userPermissions(grain, a), [])
  assert.deepEqual(await w.service.userPermissions(grain, c), [])

  // A chain 100 deep, then a cut in the middle.
  const chain: string[] = []
  for (let i = 0; i < 100; i++) chain.push(await w.user(`chain${i}`))
  const edges = []
  let from = owner
  for (const u of chain) { edges.push(await w.service.share({ grainId: grain, actor: from, to: u, permissions: 'all' })); from = u }
  assert.deepEqual(await w.service.userPermissions(grain, chain[99]!), ['read', 'comment', 'write', 'admin'])
  const graph = await w.service.accessGraph(grain, chain[99]!)
  assert.equal(graph.principals.find((p) => p.principal === `user:${chain[99]}`)!.paths[0]!.length, 100)
  await w.service.revoke({ grainId: grain, actor: chain[49]!, edgeId: edges[50]!.id })
  assert.deepEqual(await w.service.userPermissions(grain, chain[49]!), ['read', 'comment', 'write', 'admin'])
  assert.deepEqual(await w.service.userPermissions(grain, chain[50]!), [])
  assert.deepEqual(await w.service.userPermissions(grain, chain[99]!), [])
})

test('malformed and hostile input is refused with 4xx, never written', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob] = await Promise.all(['alice', 'bob'].map(w.user)) as [string, string]
  const grain = await w.grain(alice)
  const s = w.service
  const bad: Array<[string, () => Promise<unknown>, string]> = [
    ['empty set', () => s.share({ grainId: grain, actor: alice, to: bob, permissions: [] }), 'ERR_BAD_REQUEST'],
    ['unknown permission', () => s.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'delete-all'] }), 'ERR_BAD_REQUEST'],
    ['not a list', () => s.share({ grainId: grain, actor: alice, to: bob, permissions: 'read' }), 'ERR_BAD_REQUEST'],
    ['non-string ids', () => s.share({ grainId: grain, actor: alice, to: bob, permissions: [1, { toString: 'read' }] }), 'ERR_BAD_REQUEST'],
    ['object', () => s.share({ grainId: grain, actor: alice, to: bob, permissions: { read: true } }), 'ERR_BAD_REQUEST'],
    ['yourself', () => s.share({ grainId: grain, actor: alice, to: alice, permissions: ['read'] }), 'ERR_BAD_REQUEST'],
    ['the owner', () => s.share({ grainId: grain, actor: bob, to: alice, permissions: 'all' }), 'ERR_BAD_REQUEST'],
    ['unknown recipient', () => s.share({ grainId: grain, actor: alice, to: 'nosuchuser2345', permissions: ['read'] }), 'USER_ERR_NOT_FOUND'],
    ['key injection in recipient', () => s.share({ grainId: grain, actor: alice, to: `${bob}:x`, permissions: ['read'] }), 'ERR_BAD_REQUEST'],
    ['key injection in grain', () => s.share({ grainId: `${grain}:shares`, actor: alice, to: bob, permissions: ['read'] }), 'ERR_BAD_REQUEST'],
    ['unknown grain', () => s.share({ grainId: 'abcdefghabcdefgh', actor: alice, to: bob, permissions: ['read'] }), 'GRAIN_ERR_NOT_FOUND'],
    ['tab in edge id', () => s.revoke({ grainId: grain, actor: alice, edgeId: 'abc\tdefgh' }), 'ERR_BAD_REQUEST'],
    ['unknown edge', () => s.revoke({ grainId: grain, actor: alice, edgeId: 'abcdefghabcdefgh' }), 'SHARE_ERR_NOT_FOUND'],
    ['expiry in the past', () => s.createLink({ grainId: grain, actor: alice, permissions: ['read'], expiresAt: Date.now() - 1 }), 'ERR_BAD_REQUEST'],
    ['expiry not a number', () => s.createToken({ grainId: grain, actor: alice, permissions: ['read'], expiresAt: '2999-01-01' }), 'ERR_BAD_REQUEST'],
    ['allowAnonymous not boolean', () => s.createLink({ grainId: grain, actor: alice, permissions: ['read'], allowAnonymous: 'yes' }), 'ERR_BAD_REQUEST'],
    ['role with control characters', () => s.createLink({ grainId: grain, actor: alice, permissions: ['read'], role: 'x\ny' }), 'ERR_BAD_REQUEST'],
    ['oversized secret', () => s.redeemLink({ secret: 'x'.repeat(10_000), userId: bob }), 'ERR_BAD_REQUEST'],
    ['unknown secret', () => s.redeemLink({ secret: 'not-a-real-secret', userId: bob }), 'LINK_ERR_NOT_FOUND'],
  ]
  for (const [what, promise, expected] of bad) {
    await assert.rejects(promise(), (err: any) => {
      assert.equal(err.code, expected, `${what}: ${err.message}`)
      assert.ok(err.statusCode >= 400 && err.statusCode < 500, what)
      assert.ok(err.message.length < 300, `${what}: message stays short`)
      return true
    }, what)
  }
  assert.equal(await s.resolveToken('garbage'), undefined)
  assert.equal(await s.resolveLink('garbage'), undefined)
  const graph = await s.accessGraph(grain, alice)
  assert.deepEqual(graph.edges, [], 'nothing was written')
  assert.equal(graph.version, 0)
})

test('the audit stream records every change with actor and time; only the owner reads it', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const grain = await w.grain(alice)
  const before = Date.now()
  const edge = await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read'] })
  const { link, secret } = await w.service.createLink({ grainId: grain, actor: bob, permissions: ['read'] })
  await w.service.redeemLink({ secret, userId: carol })
  await w.service.revokeLink({ grainId: grain, actor: bob, linkId: link.id })
  const { token } = await w.service.createToken({ grainId: grain, actor: alice, permissions: 'all' })
  await w.service.revokeToken({ grainId: grain, actor: alice, tokenId: token.id })
  await w.service.revoke({ grainId: grain, actor: alice, edgeId: edge.id })
  const log = await w.service.auditLog(grain, alice)
  assert.deepEqual(log.map((e) => `${e.action} by ${e.actor === alice ? 'alice' : e.actor === bob ? 'bob' : 'carol'}`).reverse(), [
    'share by alice', 'link-create by bob', 'link-redeem by carol', 'link-revoke by bob', 'token-create by alice', 'token-revoke by alice', 'revoke by alice',
  ])
  assert.deepEqual(log.map((e) => Number(e.fields.version)).reverse(), [1, 2, 3, 4, 5, 6, 7])
  assert.ok(log.every((e) => Number(e.fields.at) >= before))
  assert.equal(log.at(-1)!.fields.to, `user:${bob}`)
  await assert.rejects(w.service.auditLog(grain, bob), code('ERR_FORBIDDEN'))
})

test('grains shared with a user are listed until the last edge to them goes; removing a grain clears everything', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const g1 = await w.grain(alice)
  const g2 = await w.grain(alice)
  const e1 = await w.service.share({ grainId: g1, actor: alice, to: bob, permissions: ['read'] })
  const e2 = await w.service.share({ grainId: g1, actor: alice, to: bob, permissions: ['write'] })
  const { secret } = await w.service.createLink({ grainId: g2, actor: alice, permissions: ['read'] })
  await w.service.redeemLink({ secret, userId: bob })
  assert.deepEqual((await w.service.grainsSharedWith(bob)).sort(), [g1, g2].sort())
  await w.service.revoke({ grainId: g1, actor: alice, edgeId: e1.id })
  assert.ok((await w.service.grainsSharedWith(bob)).includes(g1), 'one edge to Bob is left')
  await w.service.revoke({ grainId: g1, actor: alice, edgeId: e2.id })
  assert.deepEqual(await w.service.grainsSharedWith(bob), [g2])
  await w.service.share({ grainId: g2, actor: alice, to: carol, permissions: ['read'] })

  await w.deleteGrainRecord(g2)
  await assert.rejects(w.service.userPermissions(g2, bob), code('GRAIN_ERR_NOT_FOUND'))
  await assert.rejects(w.service.share({ grainId: g2, actor: alice, to: bob, permissions: ['read'] }), code('GRAIN_ERR_NOT_FOUND'))
  await w.service.removeGrain(g2)
  assert.deepEqual(await w.service.grainsSharedWith(bob), [])
  assert.deepEqual(await w.service.grainsSharedWith(carol), [])
  assert.equal(await w.service.resolveLink(secret), undefined)
  assert.deepEqual(await w.redis.keys(`${w.keyPrefix}*${g2}*`), [])
})

test('sharing the same permissions with the same user again answers the existing share', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob] = await Promise.all(['alice', 'bob'].map(w.user)) as [string, string]
  const grain = await w.grain(alice)
  const first = await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['write', 'read'] })
  const again = await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'write', 'read'] })
  assert.equal(again.id, first.id)
  const wider = await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: 'all' })
  assert.notEqual(wider.id, first.id, 'a different grant is a new edge')
  const graph = await w.service.accessGraph(grain, alice)
  assert.equal(graph.edges.length, 2)
  assert.equal(graph.version, 2)
})

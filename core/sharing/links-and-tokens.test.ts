/**
 * Sharing links and API tokens: redemption, revocation of everyone who came
 * through a link, tokens losing access with their user, expiry, secrets at rest.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hashSecret } from './index.js'
import { sharingWorld } from '../../test/support/sharing.js'

const code = (c: string) => (err: any): boolean => { assert.equal(err.code, c, err.message); return true }

test('a link redeemed by several users, then revoked, takes access from all of them', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol, dave, erin] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map(w.user)) as [string, string, string, string, string]
  const grain = await w.grain(alice)
  await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'comment', 'write'] })
  const { link, secret } = await w.service.createLink({ grainId: grain, actor: bob, permissions: ['read', 'comment'], role: 'commenter' })
  assert.deepEqual((await w.service.resolveLink(secret))?.permissions, ['read', 'comment'])
  for (const u of [carol, dave, erin]) {
    const r = await w.service.redeemLink({ secret, userId: u })
    assert.deepEqual(r.permissions, ['read', 'comment'])
    assert.equal(r.grainId, grain)
  }
  // Redeeming twice gives the same edge, not a second one.
  const again = await w.service.redeemLink({ secret, userId: carol })
  const firstCarolEdge = (await w.service.accessGraph(grain, alice)).edges.filter((e) => e.to === `user:${carol}`)
  assert.equal(firstCarolEdge.length, 1)
  assert.equal(again.edgeId, firstCarolEdge[0]!.id)
  // Carol passes it on: Frank's access hangs on the link too.
  const frank = await w.user('frank')
  await w.service.share({ grainId: grain, actor: carol, to: frank, permissions: 'all' })
  assert.deepEqual(await w.service.userPermissions(grain, frank), ['read', 'comment'])

  const graph = await w.service.accessGraph(grain, bob)
  const linkEdges = graph.edges.filter((e) => e.from === `link:${link.id}`)
  assert.equal(linkEdges.length, 3)
  assert.ok(linkEdges.every((e) => e.kind === 'redeem' && e.sharer === bob && e.canRevoke))
  assert.equal(graph.links[0]!.role, 'commenter')
  assert.equal((graph.links[0] as any).secretHash, undefined, 'the hash of the secret is not shown')

  // Only its creator or the owner may revoke the link.
  await assert.rejects(w.service.revokeLink({ grainId: grain, actor: carol, linkId: link.id }), code('ERR_FORBIDDEN'))
  await w.service.revokeLink({ grainId: grain, actor: bob, linkId: link.id })
  for (const u of [carol, dave, erin, frank]) assert.deepEqual(await w.service.userPermissions(grain, u), [])
  const after = await w.service.accessGraph(grain, alice)
  assert.equal(after.edges.filter((e) => e.from === `link:${link.id}` || e.to === `link:${link.id}`).length, 0, 'every edge through the link is gone')
  assert.equal(await w.service.resolveLink(secret), undefined)
  await assert.rejects(w.service.redeemLink({ secret, userId: carol }), code('LINK_ERR_NOT_FOUND'))
  assert.deepEqual(await w.service.grainsSharedWith(dave), [])
})

test('a link carries no more than its creator holds now, and revoking the creator empties it', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const grain = await w.grain(alice)
  const toBob = await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'write'] })
  const { secret } = await w.service.createLink({ grainId: grain, actor: bob, permissions: 'all', allowAnonymous: true })
  await w.service.redeemLink({ secret, userId: carol })
  assert.deepEqual(await w.service.userPermissions(grain, carol), ['read', 'write'])
  assert.equal((await w.service.resolveLink(secret))?.allowAnonymous, true)
  await w.service.revoke({ grainId: grain, actor: alice, edgeId: toBob.id })
  assert.deepEqual(await w.service.userPermissions(grain, carol), [])
  assert.deepEqual((await w.service.resolveLink(secret))?.permissions, [], 'an anonymous visitor gets nothing either')
  // The owner redeeming a link gets no edge and keeps everything.
  const owned = await w.service.redeemLink({ secret, userId: alice })
  assert.equal(owned.edgeId, undefined)
  assert.deepEqual(owned.permissions, ['read', 'comment', 'write', 'admin'])
})

test('an API token holds its subset of what its user holds, and loses it when they do', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const grain = await w.grain(alice)
  const toBob = await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'comment'] })
  await assert.rejects(w.service.createToken({ grainId: grain, actor: bob, permissions: ['read', 'write'] }), code('SHARE_ERR_NOT_HELD'))
  const { token, secret } = await w.service.createToken({ grainId: grain, actor: bob, permissions: ['read'], label: 'backup script' })
  const other = w.other()
  assert.deepEqual(await other.resolveToken(secret), { grainId: grain, tokenId: token.id, userId: bob, permissions: ['read'] })
  // Hidden from others but Bob and the owner.
  assert.equal((await w.service.accessGraph(grain, alice)).tokens.length, 1)
  await w.service.share({ grainId: grain, actor: alice, to: carol, permissions: ['read'] })
  const carolView = await w.service.accessGraph(grain, carol)
  assert.equal(carolView.tokens.length, 0)
  assert.ok(carolView.edges.every((e) => e.kind !== 'token'))
  assert.ok(carolView.principals.every((p) => !p.principal.startsWith('token:')))

  await w.service.revoke({ grainId: grain, actor: alice, edgeId: toBob.id })
  assert.deepEqual((await other.resolveToken(secret))?.permissions, [], 'the token lost access with Bob')
  // Re-granting Bob restores it (the token is bound to Bob, not to the old share).
  await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read'] })
  assert.deepEqual((await other.resolveToken(secret))?.permissions, ['read'])
  await assert.rejects(w.service.revokeToken({ grainId: grain, actor: carol, tokenId: token.id }), code('ERR_FORBIDDEN'))
  await w.service.revokeToken({ grainId: grain, actor: bob, tokenId: token.id })
  assert.equal(await other.resolveToken(secret), undefined)
  assert.equal(await w.service.resolveLink(secret), undefined, 'a token secret is not a link')
})

test('expired links and tokens grant nothing and cannot be redeemed', async (t) => {
  let clock = Date.now()
  const w = await sharingWorld(t, { now: () => clock })
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const grain = await w.grain(alice)
  const hour = 3_600_000
  const { secret: linkSecret } = await w.service.createLink({ grainId: grain, actor: alice, permissions: ['read'], expiresAt: clock + hour })
  const { secret: tokenSecret } = await w.service.createToken({ grainId: grain, actor: alice, permissions: ['write'], expiresAt: clock + 2 * hour })
  await w.service.redeemLink({ secret: linkSecret, userId: bob })
  assert.deepEqual(await w.service.userPermissions(grain, bob), ['read'])
  assert.deepEqual((await w.service.resolveToken(tokenSecret))?.permissions, ['write'])

  clock += hour // the link expires now; nothing was written, the cached graph must still change
  assert.deepEqual(await w.service.userPermissions(grain, bob), [])
  assert.equal(await w.service.resolveLink(linkSecret), undefined)
  await assert.rejects(w.service.redeemLink({ secret: linkSecret, userId: carol }), code('LINK_ERR_NOT_FOUND'))
  assert.deepEqual((await w.service.resolveToken(tokenSecret))?.permissions, ['write'])
  assert.equal((await w.service.accessGraph(grain, alice)).links[0]!.expired, true)
  clock += hour
  assert.equal(await w.service.resolveToken(tokenSecret), undefined)
})

test('link and token secrets are stored only as SHA-256 hashes', async (t) => {
  const w = await sharingWorld(t)
  const alice = await w.user('alice')
  const grain = await w.grain(alice)
  const { secret: s1 } = await w.service.createLink({ grainId: grain, actor: alice, permissions: ['read'] })
  const { secret: s2 } = await w.service.createToken({ grainId: grain, actor: alice, permissions: ['read'] })
  assert.ok(s1.length >= 40 && s2.length >= 40)
  const dump: string[] = []
  for (const key of await w.redis.keys(`${w.keyPrefix}*`)) {
    const k = key.slice(w.keyPrefix.length)
    const type = await w.redis.type(k)
    dump.push(key)
    if (type === 'string') dump.push(String(await w.redis.get(k)))
    if (type === 'hash') dump.push(JSON.stringify(await w.redis.hgetall(k)))
    if (type === 'stream') dump.push(JSON.stringify(await w.redis.xrange(k, '-', '+')))
  }
  const all = dump.join('\n')
  assert.ok(!all.includes(s1) && !all.includes(s2), 'no secret in clear')
  assert.ok(all.includes(hashSecret(s1)) && all.includes(hashSecret(s2)))
})

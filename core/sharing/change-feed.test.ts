/**
 * The grain-changes feed on the real Redis (./change-feed.ts): processes that
 * answer permission checks from memory still see every write that returned
 * before the check, and make no Redis round trip while nothing changes.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectRedis } from '../redis.js'
import { testRedisUrl } from '../../test/support/env.js'
import { sharingWorld, type FedProcess } from '../../test/support/sharing.js'
import { userPrincipal } from './graph.js'

const permissionsOf = async (p: FedProcess, grainId: string, userId: string): Promise<string[]> =>
  (await p.service.requestSnapshot(grainId)).solution.permissionsOf(userPrincipal(userId))

/** Waits until the process answers checks from memory (its feed vouches for its cache). */
async function untilTrusted (p: FedProcess, grainId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await p.service.requestSnapshot(grainId)
    const before = p.loads()
    await p.service.requestSnapshot(grainId)
    if (p.loads() === before) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.fail('the feed never vouched for the cache')
}

test('a revoke in one process is seen by the very next request check in another, which otherwise asks Redis nothing', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(w.user)) as [string, string, string]
  const grain = await w.grain(alice)
  const writer = await w.fed()
  const reader = await w.fed()
  const toBob = await writer.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'write'] })
  await untilTrusted(reader, grain)
  let answeredFromMemory = 0
  for (let i = 0; i < 150; i++) {
    const expected = i % 2 === 0 ? ['read'] : ['read', 'write']
    const edge = await writer.service.share({ grainId: grain, actor: bob, to: carol, permissions: i % 2 === 0 ? ['read'] : 'all' })
    assert.deepEqual(await permissionsOf(reader, grain, carol), expected, `round ${i}: share seen`)
    const loads = reader.loads()
    assert.deepEqual(await permissionsOf(reader, grain, carol), expected, `round ${i}: the cached answer agrees`)
    if (reader.loads() === loads) answeredFromMemory++
    await writer.service.revoke({ grainId: grain, actor: bob, edgeId: edge.id })
    assert.deepEqual(await permissionsOf(reader, grain, carol), [], `round ${i}: revoke seen at once`)
  }
  // A heartbeat may be late on a loaded machine now and then; most repeated checks must still cost nothing.
  assert.ok(answeredFromMemory >= 140, `repeated checks answered from memory ${answeredFromMemory} times out of 150`)
  // An upstream revoke cascades in the reader's cached graph just the same.
  await writer.service.share({ grainId: grain, actor: bob, to: carol, permissions: 'all' })
  assert.deepEqual(await permissionsOf(reader, grain, carol), ['read', 'write'])
  await writer.service.revoke({ grainId: grain, actor: alice, edgeId: toBob.id })
  assert.deepEqual(await permissionsOf(reader, grain, carol), [])
})

test('a deleted grain is gone for the very next check in another process', async (t) => {
  const w = await sharingWorld(t)
  const alice = await w.user('alice')
  const grain = await w.grain(alice)
  const writer = await w.fed()
  const reader = await w.fed()
  await untilTrusted(reader, grain)
  await w.deleteGrainRecord(grain)
  await writer.service.removeGrain(grain)
  await writer.service.settle()
  await assert.rejects(reader.service.requestSnapshot(grain), { code: 'GRAIN_ERR_NOT_FOUND' })
})

test('a process that never acknowledges holds a writer back for the lease only, and the write is still seen elsewhere at once', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob] = await Promise.all(['alice', 'bob'].map(w.user)) as [string, string]
  const grain = await w.grain(alice)
  const leaseMs = 300
  const writer = await w.fed({ leaseMs })
  const reader = await w.fed({ leaseMs })
  const edge = await writer.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read'] })
  await untilTrusted(reader, grain)
  // A subscriber that is counted by Redis but never answers: a stuck process.
  const silent = connectRedis(testRedisUrl())
  t.after(() => silent.quit())
  await silent.subscribe(w.channel)
  const started = performance.now()
  await writer.service.revoke({ grainId: grain, actor: alice, edgeId: edge.id })
  const took = performance.now() - started
  assert.ok(took >= leaseMs, `the writer waited for the silent process (${Math.round(took)} ms)`)
  assert.ok(took < leaseMs + 2_000, `but not much longer than the lease (${Math.round(took)} ms)`)
  assert.deepEqual(await permissionsOf(reader, grain, bob), [])
})

test('after its subscription drops, a process asks Redis again and sees what changed meanwhile', async (t) => {
  const w = await sharingWorld(t)
  const [alice, bob] = await Promise.all(['alice', 'bob'].map(w.user)) as [string, string]
  const grain = await w.grain(alice)
  const reader = await w.fed()
  const unfed = w.service // a writer with no feed: it announces its writes but does not wait
  await unfed.share({ grainId: grain, actor: alice, to: bob, permissions: ['read'] })
  await untilTrusted(reader, grain)
  assert.deepEqual(await permissionsOf(reader, grain, bob), ['read'])
  await reader.dropSubscription()
  // ...and, once the reader has noticed, change the graph while it is not listening.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const edge = await unfed.share({ grainId: grain, actor: alice, to: bob, permissions: ['read', 'write'] })
  assert.deepEqual(await permissionsOf(reader, grain, bob), ['read', 'write'], 'the change made while disconnected is seen')
  await untilTrusted(reader, grain)
  await unfed.revoke({ grainId: grain, actor: alice, edgeId: edge.id })
  let seen: string[] = []
  for (let i = 0; i < 40; i++) {
    seen = await permissionsOf(reader, grain, bob)
    if (seen.length === 1) break
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  assert.deepEqual(seen, ['read'], 'resubscribed: later changes arrive again')
})

test('messages on a channel a process listens to through its feed are applied before a writer\'s settle returns', async (t) => {
  const w = await sharingWorld(t)
  const writer = await w.fed()
  const reader = await w.fed()
  const channel = `${w.keyPrefix}sessions-ended`
  const seen: string[] = []
  await reader.feed.listen(channel, (message) => { seen.push(message) })
  await assert.rejects(reader.feed.listen(channel, () => {}), /already listening/)
  for (let i = 0; i < 50; i++) {
    await w.redis.publish(channel, `u:${i}`)
    await writer.feed.settle()
    assert.equal(seen.at(-1), `u:${i}`, `message ${i} applied before settle returned`)
  }
})

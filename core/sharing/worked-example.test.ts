/**
 * DESIGN.md's worked example (Alice, Bob, Carol, Dave), step by step, on the
 * real Redis, read back through a second process after every step.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sharingWorld } from '../../test/support/sharing.js'

test('the worked example: shares, "everything I have" onward, revoke cascade, re-grant', async (t) => {
  const w = await sharingWorld(t, { appPermissions: ['read', 'write'] })
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map(w.user)) as [string, string, string, string]
  const grain = await w.grain(alice)
  const proxy2 = w.other()
  const holds = async (u: string): Promise<string[]> => {
    const here = await w.service.userPermissions(grain, u)
    assert.deepEqual(await proxy2.userPermissions(grain, u), here, 'both processes agree')
    return here
  }

  // 1. Alice creates a grain. She shares read with Bob and read,write with Carol.
  assert.deepEqual(await holds(alice), ['read', 'write'])
  await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read'] })
  const aliceToCarol = await w.service.share({ grainId: grain, actor: alice, to: carol, permissions: ['write', 'read'] })
  assert.deepEqual(await holds(bob), ['read'])
  assert.deepEqual(await holds(carol), ['read', 'write'])
  assert.deepEqual(await holds(dave), [])

  // 2. Bob and Carol each share everything they have with Dave: Dave holds read,write.
  await w.service.share({ grainId: grain, actor: bob, to: dave, permissions: 'all' })
  const carolToDave = await w.service.share({ grainId: grain, actor: carol, to: dave, permissions: 'all' })
  assert.deepEqual(await holds(dave), ['read', 'write'])

  // 3. Alice revokes her share to Carol: Carol holds nothing, Dave holds read (through Bob),
  //    and Carol's share to Dave still exists but carries nothing.
  await w.service.revoke({ grainId: grain, actor: alice, edgeId: aliceToCarol.id })
  assert.deepEqual(await holds(carol), [])
  assert.deepEqual(await holds(dave), ['read'])
  const graph = await w.service.accessGraph(grain, alice)
  const stillThere = graph.edges.find((e) => e.id === carolToDave.id)
  assert.ok(stillThere, "Carol's share to Dave is still in the graph")
  assert.equal(stillThere.declared, 'all')
  assert.deepEqual(stillThere.grants, [])
  assert.deepEqual(graph.principals.find((p) => p.principal === `user:${dave}`)?.permissions, ['read'])

  // 4. Alice shares read,write with Carol again: Dave holds read,write again.
  await w.service.share({ grainId: grain, actor: alice, to: carol, permissions: ['read', 'write'] })
  assert.deepEqual(await holds(carol), ['read', 'write'])
  assert.deepEqual(await holds(dave), ['read', 'write'])
  const paths = (await w.service.accessGraph(grain, dave)).principals.find((p) => p.principal === `user:${dave}`)!.paths
  assert.equal(paths.length, 2, 'Dave came through Bob and through Carol')
})

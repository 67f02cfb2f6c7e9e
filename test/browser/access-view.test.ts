/**
 * The "who has access" view reads the sharing service's real access graph
 * (core/sharing on the test Redis, the design's worked example): each person
 * with their effective permissions and whom they hold them via, each share
 * with what it was given and what it carries now, and who may revoke it.
 * `normAccess` is the browser module's own function, run here in Node.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sharingWorld } from '../support/sharing.js'

interface Principal { id: string, name: string, owner: boolean, permissions: string[], via?: string[] }
interface Edge { id: string, from: { name: string }, to: { name: string }, everything: boolean, permissions: string[], effective?: string[], canRevoke: boolean }
interface AccessView { principals: Principal[], edges: Edge[], links: Array<{ id: string, role?: string, canRevoke: boolean }> }

// The browser modules are plain JS: imported by a computed path, typed here by what the test uses.
const uiModule = (path: string): Promise<any> => import(new URL(path, import.meta.url).href)
const { normAccess } = await uiModule('../../proxy/ui/api.js') as { normAccess: (graph: unknown, me: unknown) => AccessView }
const { viaNames } = await uiModule('../../proxy/ui/screens/access-dialog.js') as { viaNames: (view: AccessView, p: Principal) => string[] }

test('the access view shows the worked example as the sharing service solves it', async (t) => {
  const w = await sharingWorld(t, { appPermissions: ['read', 'write'] })
  const ids = await Promise.all(['alice', 'bob', 'carol', 'dave'].map(w.user)) as [string, string, string, string]
  const [alice, bob, carol, dave] = ids
  const names = Object.fromEntries(['Alice', 'Bob', 'Carol', 'Dave'].map((n, i) => [`user:${ids[i]}`, n]))
  const grain = await w.grain(alice)
  await w.service.share({ grainId: grain, actor: alice, to: bob, permissions: ['read'] })
  const aliceToCarol = await w.service.share({ grainId: grain, actor: alice, to: carol, permissions: ['read', 'write'] })
  await w.service.share({ grainId: grain, actor: bob, to: dave, permissions: 'all' })
  await w.service.share({ grainId: grain, actor: carol, to: dave, permissions: 'all' })
  await w.service.createLink({ grainId: grain, actor: alice, permissions: ['read'], role: 'viewer' })

  const view = (viewer: string, me: { id: string, displayName: string }) => async (): Promise<AccessView> =>
    normAccess({ ...(await w.service.accessGraph(grain, viewer)), names }, me)
  const asAlice = view(alice, { id: alice, displayName: 'Alice' })
  const person = (v: AccessView, name: string) => v.principals.find((p) => p.name === name)!
  const edge = (v: AccessView, from: string, to: string) => v.edges.find((e) => e.from.name === from && e.to.name === to)!

  let v = await asAlice()
  assert.deepEqual(v.principals.map((p) => p.name).sort(), ['Alice', 'Bob', 'Carol', 'Dave'], 'people only: the link is not a person')
  assert.equal(person(v, 'Alice').owner, true)
  assert.deepEqual(person(v, 'Dave').permissions, ['read', 'write'])
  assert.deepEqual([...viaNames(v, person(v, 'Dave'))].sort(), ['Bob', 'Carol'])
  assert.equal(edge(v, 'Bob', 'Dave').everything, true)
  assert.deepEqual(edge(v, 'Bob', 'Dave').effective, ['read'])
  assert.ok(v.edges.every((e) => e.canRevoke), 'the owner may revoke every edge')
  assert.equal(v.links.length, 1)
  assert.equal(v.links[0]!.role, 'viewer')

  await w.service.revoke({ grainId: grain, actor: alice, edgeId: aliceToCarol.id })
  v = await asAlice()
  assert.deepEqual(person(v, 'Carol').permissions, [])
  assert.deepEqual(person(v, 'Dave').permissions, ['read'])
  assert.deepEqual(viaNames(v, person(v, 'Dave')), ['Bob'], 'Dave now holds only via Bob')
  assert.deepEqual(edge(v, 'Carol', 'Dave').effective, [], "Carol's share to Dave is there and carries nothing")
  assert.equal(edge(v, 'Alice', 'Carol'), undefined)

  // Bob sees the graph too, but may revoke only his own share.
  const asBob = await view(bob, { id: bob, displayName: 'Bob' })()
  assert.deepEqual(asBob.edges.filter((e) => e.canRevoke).map((e) => `${e.from.name}->${e.to.name}`), ['Bob->Dave'])
})

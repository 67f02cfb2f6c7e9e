import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyChanges, buildSnapshot, type RawData } from './snapshot.js'
import type { LinkRecord, ShareEdge } from './records.js'

const edge = (id: string, from: string, to: string): ShareEdge => ({ id, kind: 'share', from, to, permissions: 'all', createdBy: 'x', createdAt: 0 })
const link = (id: string, expiresAt?: number): LinkRecord => ({ id, grainId: 'g', createdBy: 'o', createdAt: 0, permissions: 'all', allowAnonymous: false, edgeId: `le${id}`, secretHash: 'h', ...(expiresAt !== undefined ? { expiresAt } : {}) })

test('changes apply in order, copy on write: additions, deletions, and both within one catch-up', () => {
  const before: RawData = { edges: [edge('e1', 'user:o', 'user:a'), edge('e2', 'user:a', 'user:b')], links: new Map(), tokens: new Map() }
  const after = applyChanges(before, [
    { type: 'edge', id: 'e3', value: edge('e3', 'user:o', 'user:c') },
    { type: 'edge', id: 'e1' },
    { type: 'edge', id: 'e4', value: edge('e4', 'user:c', 'user:d') },
    { type: 'edge', id: 'e4' },
    { type: 'link', id: 'l1', value: link('l1') },
  ])
  assert.deepEqual(after.edges.map((e) => e.id), ['e2', 'e3'])
  assert.deepEqual([...after.links.keys()], ['l1'])
  assert.deepEqual(before.edges.map((e) => e.id), ['e1', 'e2'], 'the old data is untouched')
  assert.equal(before.links.size, 0)
  assert.deepEqual([...applyChanges(after, [{ type: 'link', id: 'l1' }]).links.keys()], [])
})

test('a snapshot leaves out expired links and says when it must be redone', () => {
  const data: RawData = {
    edges: [edge('a', 'user:o', 'link:soon'), edge('b', 'link:soon', 'user:x'), edge('c', 'user:o', 'link:later'), edge('d', 'link:later', 'user:y'), edge('e', 'link:gone', 'user:z')],
    links: new Map([['soon', link('soon', 1_000)], ['later', link('later', 5_000)]]),
    tokens: new Map(),
  }
  const s1 = buildSnapshot('g', 1, 'o', ['read'], data, 500)
  assert.equal(s1.validUntil, 1_000)
  assert.deepEqual(s1.solution.permissionsOf('user:x'), ['read'])
  assert.deepEqual(s1.solution.permissionsOf('user:z'), [], 'an edge from a link with no record grants nothing')
  const s2 = buildSnapshot('g', 1, 'o', ['read'], data, 1_000)
  assert.deepEqual(s2.solution.permissionsOf('user:x'), [])
  assert.deepEqual(s2.solution.permissionsOf('user:y'), ['read'])
  assert.equal(s2.validUntil, 5_000)
  assert.equal(s2.edges.length, 5, 'the stored edges are all still listed')
})

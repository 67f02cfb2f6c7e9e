import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { modelEffective, modelList, type ModelEdge } from '../../test/support/sharing-model.js'
import { accessPaths, effectivePermissions, extend, parsePrincipal, solve, type GraphEdge, type ShareGraph } from './graph.js'

const APP = ['read', 'comment', 'write', 'admin']
const graph = (edges: GraphEdge[], appPermissions = APP): ShareGraph => ({ owner: 'user:o', appPermissions, edges })
const e = (id: string, from: string, to: string, permissions: 'all' | string[]): GraphEdge => ({ id, from: `user:${from}`, to: `user:${to}`, permissions })

test('the owner holds every permission, in manifest order; strangers hold nothing', () => {
  const g = graph([])
  assert.deepEqual(effectivePermissions(g, 'user:o'), APP)
  assert.deepEqual(effectivePermissions(g, 'user:nobody'), [])
})

test('explicit permissions come out in manifest order whatever order the edge lists them in', () => {
  assert.deepEqual(effectivePermissions(graph([e('1', 'o', 'a', ['write', 'read'])]), 'user:a'), ['read', 'write'])
})

test('a cycle grants nothing that is not grounded at the owner', () => {
  const g = graph([e('1', 'a', 'b', 'all'), e('2', 'b', 'c', 'all'), e('3', 'c', 'a', 'all')])
  for (const p of ['a', 'b', 'c']) assert.deepEqual(effectivePermissions(g, `user:${p}`), [])
  // Ground one node and the whole cycle carries exactly what was granted.
  const grounded = graph([...g.edges, e('4', 'o', 'b', ['comment'])])
  for (const p of ['a', 'b', 'c']) assert.deepEqual(effectivePermissions(grounded, `user:${p}`), ['comment'])
})

test('a diamond unions both paths, each cut by its own edge', () => {
  const g = graph([e('1', 'o', 'l', ['read', 'write']), e('2', 'o', 'r', ['read', 'comment']), e('3', 'l', 'x', ['write']), e('4', 'r', 'x', 'all')])
  assert.deepEqual(effectivePermissions(g, 'user:x'), ['read', 'comment', 'write'])
})

test('a 100-deep chain carries the intersection of every edge', () => {
  const edges = [e('0', 'o', 'u0', ['read', 'write'])]
  for (let i = 1; i < 100; i++) edges.push(e(String(i), `u${i - 1}`, `u${i}`, i === 50 ? ['read', 'admin'] : 'all'))
  const s = solve(graph(edges))
  assert.deepEqual(s.permissionsOf('user:u49'), ['read', 'write'])
  assert.deepEqual(s.permissionsOf('user:u99'), ['read'])
  assert.deepEqual(s.edgeGrants('50'), ['read'])
  assert.equal(accessPaths(s).get('user:u99')![0]!.length, 100)
})

test('more than 32 permissions work (multi-word masks)', () => {
  const many = Array.from({ length: 64 }, (_, i) => `p${i}`)
  const g = graph([e('1', 'o', 'a', ['p63', 'p0', 'p31', 'p32']), e('2', 'a', 'b', ['p32', 'p63', 'p5'])], many)
  assert.deepEqual(effectivePermissions(g, 'user:a'), ['p0', 'p31', 'p32', 'p63'])
  assert.deepEqual(effectivePermissions(g, 'user:b'), ['p32', 'p63'])
  assert.equal(solve(g).holds('user:b', 'p63'), true)
  assert.equal(solve(g).holds('user:b', 'p5'), false)
})

test('unknown permission ids on an edge grant nothing', () => {
  assert.deepEqual(effectivePermissions(graph([e('1', 'o', 'a', ['delete-everything', 'read'])]), 'user:a'), ['read'])
})

test('paths: one per granting incoming edge, none through the principal itself', () => {
  const s = solve(graph([e('ab', 'o', 'a', ['read']), e('ob', 'o', 'b', ['read']), e('ba', 'b', 'a', 'all'), e('ab2', 'a', 'b', 'all')]))
  const paths = accessPaths(s)
  assert.deepEqual(paths.get('user:a'), [['ab'], ['ob', 'ba']])
  assert.deepEqual(paths.get('user:b'), [['ob'], ['ab', 'ab2']])
  const loop = solve(graph([e('1', 'o', 'a', ['read']), e('2', 'a', 'b', 'all'), e('3', 'b', 'a', 'all')]))
  assert.deepEqual(accessPaths(loop).get('user:a'), [['1']])
})

test('principal parsing refuses anything but user, link and token', () => {
  assert.deepEqual(parsePrincipal('link:abc'), { kind: 'link', id: 'abc' })
  assert.equal(parsePrincipal('group:abc'), undefined)
  assert.equal(parsePrincipal(':abc'), undefined)
  assert.equal(parsePrincipal('user'), undefined)
})

// Random graphs over a few principals, compared with the set-based reference model.
const NAMES = ['o', 'a', 'b', 'c', 'd', 'e']
const arbEdges = fc.array(fc.record({
  from: fc.constantFrom(...NAMES),
  to: fc.constantFrom(...NAMES),
  permissions: fc.oneof(fc.constant('all' as const), fc.subarray(APP)),
}), { maxLength: 14 })

test('property: solve agrees with the reference model on 2,000 random graphs', () => {
  fc.assert(fc.property(arbEdges, (raw) => {
    const edges: ModelEdge[] = raw.map((r, i) => ({ id: String(i), from: `user:${r.from}`, to: `user:${r.to}`, permissions: r.permissions }))
    const model = modelEffective('user:o', APP, edges)
    const s = solve(graph(edges as GraphEdge[]))
    for (const n of NAMES) assert.deepEqual(s.permissionsOf(`user:${n}`), modelList(model, APP, `user:${n}`))
    for (const edge of edges) {
      const carried = edge.permissions === 'all' ? APP : edge.permissions
      assert.deepEqual(s.edgeGrants(edge.id), modelList(model, APP, edge.from).filter((p) => carried.includes(p)))
    }
  }), { numRuns: 2000 })
})

test('property: extending a solution with new edges equals solving afresh (1,000 random graphs)', () => {
  fc.assert(fc.property(arbEdges, arbEdges, fc.array(fc.constantFrom('f', 'g'), { maxLength: 3 }), (base, more, strangers) => {
    const toEdges = (raw: typeof base, offset: number): GraphEdge[] => raw.map((r, i) => ({ id: String(offset + i), from: `user:${r.from}`, to: `user:${r.to}`, permissions: r.permissions }))
    const first = toEdges(base, 0)
    // New edges may also name principals the first graph never saw.
    const added = toEdges(more, 1000).concat(strangers.map((x, i) => e(`s${i}`, 'a', x, 'all')))
    const grown = extend(solve(graph(first)), added)
    const fresh = solve(graph([...first, ...added]))
    for (const n of [...NAMES, 'f', 'g']) assert.deepEqual(grown.permissionsOf(`user:${n}`), fresh.permissionsOf(`user:${n}`))
    for (const edge of [...first, ...added]) assert.deepEqual(grown.edgeGrants(edge.id), fresh.edgeGrants(edge.id))
    // Chained extensions too.
    const twice = extend(extend(solve(graph(first)), added.slice(0, 3)), added.slice(3))
    for (const n of NAMES) assert.deepEqual(twice.permissionsOf(`user:${n}`), fresh.permissionsOf(`user:${n}`))
  }), { numRuns: 1000 })
})

/**
 * The share graph of one grain, as plain data, and the effective permissions
 * it grants. Pure: no I/O, no clock; the Redis store loads the data and the
 * service caches what `solve` returns.
 *
 * Semantics (DESIGN.md, "Sharing semantics"):
 * - the owner holds every permission the app declares;
 * - an edge `from → to` carries an explicit permission set or `'all'`
 *   (everything `from` holds, cut at request time);
 * - effective(P) = ⋃ over edges S → P of (edge permissions ∩ effective(S)),
 *   the least fixpoint: a cycle grants nothing that is not grounded at the owner.
 *
 * Principals are strings: `user:<id>`, `link:<id>` (a sharing link: an edge
 * creator → link, and each redeemer gets an edge link → user) and `token:<id>`
 * (an API token: an edge creator → token carrying the token's subset, so the
 * token holds subset ∩ effective(creator)).
 *
 * Permission lists come out in manifest order (the order of `appPermissions`).
 */

export type Principal = string
export type PrincipalKind = 'user' | 'link' | 'token'

export const userPrincipal = (userId: string): Principal => `user:${userId}`
export const linkPrincipal = (linkId: string): Principal => `link:${linkId}`
export const tokenPrincipal = (tokenId: string): Principal => `token:${tokenId}`

/** Splits `user:abc` into its kind and id; undefined for anything else. */
export function parsePrincipal (p: string): { kind: PrincipalKind, id: string } | undefined {
  const i = p.indexOf(':')
  const kind = p.slice(0, i)
  if (i <= 0 || (kind !== 'user' && kind !== 'link' && kind !== 'token')) return undefined
  return { kind, id: p.slice(i + 1) }
}

/** What an edge carries: explicit permission ids, or everything its sharer holds. */
export type Grant = 'all' | readonly string[]

export interface GraphEdge {
  id: string
  from: Principal
  to: Principal
  permissions: Grant
}

export interface ShareGraph {
  /** The owner's principal (`user:<ownerId>`). */
  owner: Principal
  /** Every permission id the app declares, in manifest order. */
  appPermissions: readonly string[]
  edges: readonly GraphEdge[]
}

/** The solved graph: every principal's effective permissions, computed once. */
export interface Solution {
  readonly graph: ShareGraph
  /** Effective permissions of a principal, in manifest order; `[]` for strangers. */
  permissionsOf(principal: Principal): string[]
  /** True if the principal holds that permission. */
  holds(principal: Principal, permission: string): boolean
  /** What an edge grants right now: its permissions ∩ effective(from), in manifest order. */
  edgeGrants(edgeId: string): string[]
  /** Every principal named in the graph (owner first), with what it holds. */
  all(): Array<{ principal: Principal, permissions: string[] }>
}

/**
 * The solver's working state, kept inside a Solution so that `extend` can
 * add edges without starting over. Never mutated once a Solution holds it.
 */
interface State {
  graph: ShareGraph
  words: number
  bit: Map<string, number>
  full: Uint32Array
  index: Map<Principal, number>
  names: Principal[]
  edgeFrom: Int32Array
  edgeTo: Int32Array
  edgeMask: Uint32Array
  eff: Uint32Array
}

const states = new WeakMap<Solution, State>()

/**
 * Solves the whole graph in one worklist pass: effective permissions of every
 * principal. Bitmask per principal (32 permissions per word); a principal is
 * re-queued only when its mask grows, so the pass costs O(edges × permissions)
 * at worst and O(edges) typically. Unknown permission ids in an edge (say, the
 * app dropped one in an update) grant nothing.
 */
export function solve (graph: ShareGraph): Solution {
  const perms = graph.appPermissions
  const words = Math.max(1, Math.ceil(perms.length / 32))
  const bit = new Map<string, number>()
  perms.forEach((p, i) => bit.set(p, i))
  const full = new Uint32Array(words)
  for (let b = 0; b < perms.length; b++) full[b >>> 5]! |= 1 << (b & 31)
  const state = addEdges({
    graph: { ...graph, edges: [] }, words, bit, full, index: new Map([[graph.owner, 0]]), names: [graph.owner],
    edgeFrom: new Int32Array(0), edgeTo: new Int32Array(0), edgeMask: new Uint32Array(0), eff: new Uint32Array(0),
  }, graph.edges)
  state.eff.set(full, 0) // the owner is principal 0
  propagate(state, [0])
  return solution(state)
}

/**
 * The solution of the graph with `added` edges on top: equal to solving it
 * afresh, but costs only the propagation the new edges cause (adding edges
 * only ever grows permissions, so the old fixpoint is a safe start). Removing
 * edges has no such shortcut: solve again.
 */
export function extend (previous: Solution, added: readonly GraphEdge[]): Solution {
  const before = states.get(previous)
  if (before === undefined) return solve({ ...previous.graph, edges: [...previous.graph.edges, ...added] })
  const oldCount = before.edgeFrom.length
  const state = addEdges({ ...before, index: new Map(before.index), names: [...before.names] }, added)
  const seeds: number[] = []
  for (let k = oldCount; k < state.edgeFrom.length; k++) seeds.push(state.edgeFrom[k]!)
  propagate(state, seeds)
  return solution(state)
}

/** A new state with the edges appended (principal indexes, masks, grown arrays). */
function addEdges (s: State, edges: readonly GraphEdge[]): State {
  const { words, bit, full, index, names } = s
  const idOf = (p: Principal): number => {
    let i = index.get(p)
    if (i === undefined) { i = names.length; index.set(p, i); names.push(p) }
    return i
  }
  const old = s.edgeFrom.length
  const count = old + edges.length
  const edgeFrom = new Int32Array(count)
  const edgeTo = new Int32Array(count)
  const edgeMask = new Uint32Array(count * words)
  edgeFrom.set(s.edgeFrom)
  edgeTo.set(s.edgeTo)
  edgeMask.set(s.edgeMask)
  for (let j = 0; j < edges.length; j++) {
    const e = edges[j]!
    const k = old + j
    edgeFrom[k] = idOf(e.from)
    edgeTo[k] = idOf(e.to)
    if (e.permissions === 'all') edgeMask.set(full, k * words)
    else for (const p of e.permissions) { const b = bit.get(p); if (b !== undefined) edgeMask[k * words + (b >>> 5)]! |= 1 << (b & 31) }
  }
  const eff = new Uint32Array(names.length * words)
  eff.set(s.eff)
  const graph = { ...s.graph, edges: old === 0 ? edges : [...s.graph.edges, ...edges] }
  return { ...s, graph, edgeFrom, edgeTo, edgeMask, eff }
}

/** Runs the worklist from `seeds` until no permission set grows. */
function propagate (s: State, seeds: readonly number[]): void {
  const { words, edgeFrom, edgeTo, edgeMask, eff } = s
  const n = s.names.length
  const edgeCount = edgeFrom.length
  // Outgoing edges per principal, as a CSR adjacency list.
  const outStart = new Int32Array(n + 1)
  for (let k = 0; k < edgeCount; k++) outStart[edgeFrom[k]! + 1]!++
  for (let i = 0; i < n; i++) outStart[i + 1]! += outStart[i]!
  const outEdges = new Int32Array(edgeCount)
  const fill = outStart.slice(0, n)
  for (let k = 0; k < edgeCount; k++) outEdges[fill[edgeFrom[k]!]!++] = k

  const queue: number[] = []
  const queued = new Uint8Array(n)
  for (const i of seeds) if (queued[i] === 0) { queued[i] = 1; queue.push(i) }
  for (let head = 0; head < queue.length; head++) {
    const from = queue[head]!
    queued[from] = 0
    for (let o = outStart[from]!; o < outStart[from + 1]!; o++) {
      const k = outEdges[o]!
      const t = edgeTo[k]!
      let grew = false
      for (let w = 0; w < words; w++) {
        const before = eff[t * words + w]!
        const after = (before | (edgeMask[k * words + w]! & eff[from * words + w]!)) >>> 0
        if (after !== before) { eff[t * words + w] = after; grew = true }
      }
      if (grew && queued[t] === 0) { queued[t] = 1; queue.push(t) }
    }
    // Keep the queue array from growing without bound on long runs.
    if (head > 4096 && head * 2 > queue.length) { queue.splice(0, head + 1); head = -1 }
  }
}

function solution (s: State): Solution {
  const { graph, words, bit, index, names, edgeFrom, edgeMask, eff } = s
  const perms = graph.appPermissions
  const listOf = (mask: (w: number) => number): string[] => {
    const out: string[] = []
    for (let b = 0; b < perms.length; b++) if ((mask(b >>> 5) >>> (b & 31)) & 1) out.push(perms[b]!)
    return out
  }
  const permissionsOf = (p: Principal): string[] => {
    const i = index.get(p)
    return i === undefined ? [] : listOf((w) => eff[i * words + w]!)
  }
  // Only the who-has-access view asks per edge: index edges by id on first use.
  let edgeIndex: Map<string, number> | undefined
  const result: Solution = {
    graph,
    permissionsOf,
    holds (p, permission) {
      const i = index.get(p)
      const b = bit.get(permission)
      return i !== undefined && b !== undefined && ((eff[i * words + (b >>> 5)]! >>> (b & 31)) & 1) === 1
    },
    edgeGrants (edgeId) {
      edgeIndex ??= new Map(graph.edges.map((e, i) => [e.id, i]))
      const k = edgeIndex.get(edgeId)
      if (k === undefined) return []
      const from = edgeFrom[k]!
      return listOf((w) => edgeMask[k * words + w]! & eff[from * words + w]!)
    },
    all: () => names.map((principal) => ({ principal, permissions: permissionsOf(principal) })),
  }
  states.set(result, s)
  return result
}

/** Effective permissions of one principal, in manifest order. Solves the whole graph; keep the `Solution` to ask again. */
export function effectivePermissions (graph: ShareGraph, principal: Principal): string[] {
  return solve(graph).permissionsOf(principal)
}

/**
 * How each principal came by its permissions: for each principal, one path of
 * edge ids per incoming edge that currently grants something, starting at the
 * owner and ending with that edge. Paths are built on a shortest-path tree of
 * granting edges, so they never loop; an incoming edge whose only route back
 * to the owner runs through the principal itself (it merely hands back what
 * the principal already had) gets no path.
 */
export function accessPaths (solution: Solution): Map<Principal, string[][]> {
  const { graph } = solution
  const live = graph.edges.filter((e) => solution.edgeGrants(e.id).length > 0)
  const outgoing = new Map<Principal, GraphEdge[]>()
  for (const e of live) {
    const list = outgoing.get(e.from)
    if (list === undefined) outgoing.set(e.from, [e])
    else list.push(e)
  }
  // BFS from the owner over granting edges: parent edge of each principal.
  const parent = new Map<Principal, GraphEdge | null>([[graph.owner, null]])
  const queue: Principal[] = [graph.owner]
  for (let head = 0; head < queue.length; head++) {
    for (const e of outgoing.get(queue[head]!) ?? []) {
      if (!parent.has(e.to)) { parent.set(e.to, e); queue.push(e.to) }
    }
  }
  const treePath = (p: Principal): GraphEdge[] => {
    const path: GraphEdge[] = []
    for (let e = parent.get(p); e; e = parent.get(e.from)) path.push(e)
    return path.reverse()
  }
  const paths = new Map<Principal, string[][]>()
  for (const e of live) {
    if (e.to === graph.owner) continue
    const before = treePath(e.from)
    if (e.from === e.to || before.some((x) => x.from === e.to)) continue
    const list = paths.get(e.to) ?? []
    list.push([...before.map((x) => x.id), e.id])
    paths.set(e.to, list)
  }
  return paths
}

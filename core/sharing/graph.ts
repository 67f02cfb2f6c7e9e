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

  const index = new Map<Principal, number>()
  const names: Principal[] = []
  const idOf = (p: Principal): number => {
    let i = index.get(p)
    if (i === undefined) { i = names.length; index.set(p, i); names.push(p) }
    return i
  }
  idOf(graph.owner)
  const edgeCount = graph.edges.length
  const edgeFrom = new Int32Array(edgeCount)
  const edgeTo = new Int32Array(edgeCount)
  const edgeMask = new Uint32Array(edgeCount * words)
  const full = new Uint32Array(words)
  for (let b = 0; b < perms.length; b++) full[b >>> 5]! |= 1 << (b & 31)
  for (let k = 0; k < edgeCount; k++) {
    const e = graph.edges[k]!
    edgeFrom[k] = idOf(e.from)
    edgeTo[k] = idOf(e.to)
    if (e.permissions === 'all') edgeMask.set(full, k * words)
    else for (const p of e.permissions) { const b = bit.get(p); if (b !== undefined) edgeMask[k * words + (b >>> 5)]! |= 1 << (b & 31) }
  }
  // Only the who-has-access view asks per edge: index edges by id on first use.
  let edgeIndex: Map<string, number> | undefined

  const n = names.length
  // Outgoing edges per principal, as a CSR adjacency list.
  const outStart = new Int32Array(n + 1)
  for (let k = 0; k < edgeCount; k++) outStart[edgeFrom[k]! + 1]!++
  for (let i = 0; i < n; i++) outStart[i + 1]! += outStart[i]!
  const outEdges = new Int32Array(edgeCount)
  const fill = outStart.slice(0, n)
  for (let k = 0; k < edgeCount; k++) outEdges[fill[edgeFrom[k]!]!++] = k

  const eff = new Uint32Array(n * words)
  eff.set(full, 0) // the owner is principal 0
  const queue: number[] = [0]
  const queued = new Uint8Array(n)
  queued[0] = 1
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!
    queued[s] = 0
    for (let o = outStart[s]!; o < outStart[s + 1]!; o++) {
      const k = outEdges[o]!
      const t = edgeTo[k]!
      let grew = false
      for (let w = 0; w < words; w++) {
        const before = eff[t * words + w]!
        const after = (before | (edgeMask[k * words + w]! & eff[s * words + w]!)) >>> 0
        if (after !== before) { eff[t * words + w] = after; grew = true }
      }
      if (grew && queued[t] === 0) { queued[t] = 1; queue.push(t) }
    }
    // Keep the queue array from growing without bound on long runs.
    if (head > 4096 && head * 2 > queue.length) { queue.splice(0, head + 1); head = -1 }
  }

  const listOf = (mask: (w: number) => number): string[] => {
    const out: string[] = []
    for (let b = 0; b < perms.length; b++) if ((mask(b >>> 5) >>> (b & 31)) & 1) out.push(perms[b]!)
    return out
  }
  const permissionsOf = (p: Principal): string[] => {
    const i = index.get(p)
    return i === undefined ? [] : listOf((w) => eff[i * words + w]!)
  }
  return {
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
      const s = edgeFrom[k]!
      return listOf((w) => edgeMask[k * words + w]! & eff[s * words + w]!)
    },
    all: () => names.map((principal) => ({ principal, permissions: permissionsOf(principal) })),
  }
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

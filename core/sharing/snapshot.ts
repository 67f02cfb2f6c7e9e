/**
 * A grain's sharing graph as loaded at one version and solved, and the
 * per-process cache of those snapshots keyed by grain and version.
 *
 * The guarantee (DESIGN.md: "revocation is visible on the very next request"):
 * `SnapshotCache.get` makes one Redis round trip every time. A Lua script
 * reads the grain's sharing version, owner and app atomically and, only if the
 * version differs from the cached one, the changes since the cached version
 * (from the grain's change log) or, when the process is too far behind, the
 * whole graph. Changes that only add are folded into the cached solution
 * (`extend`: propagate from the new edges); any removal re-solves. Every sharing
 * write INCRs the version inside the same script that changes the graph, so a
 * check that starts after a revoke has returned (in any process, on any
 * client) reads a version at least as new as the revoke's and never answers
 * from the graph before it. Expired links and tokens are cut by the clock at
 * check time (`validUntil`), not by a write. Holds for a single Redis primary;
 * reads from replicas would void it.
 *
 * Grain requests may skip even that round trip (`get(grainId, true)`): with a
 * change feed (./change-feed.ts) that vouches that no change to the grain
 * arrived since the cached load, and writers that wait for every process to
 * acknowledge their change before returning, the cached solution is the
 * current one.
 */
import { GRAIN_ERR_NOT_FOUND } from '../errors.js'
import { extend, linkPrincipal, solve, tokenPrincipal, userPrincipal, type Principal, type Solution } from './graph.js'
import { expired, type LinkRecord, type ShareEdge, type TokenRecord } from './records.js'
import type { ChangeFeed } from './change-feed.js'
import type { Change, LoadedState, SharingStore } from './store.js'

/** Grains whose solved graph one process keeps. */
export const DEFAULT_CACHE_GRAINS = 1_000

export interface GrainApp { grainId: string, appId: string, appVersion: string }

/** The app's permission ids in manifest order. Called on every check: keep it cheap (an in-memory manifest lookup). */
export type AppPermissionsResolver = (app: GrainApp) => readonly string[] | Promise<readonly string[]>

export interface Snapshot {
  grainId: string
  version: number
  /** The owner's user id. */
  owner: string
  appPermissions: readonly string[]
  /** Every stored edge, including those of expired links and tokens. */
  edges: readonly ShareEdge[]
  links: ReadonlyMap<string, LinkRecord>
  tokens: ReadonlyMap<string, TokenRecord>
  /** Solved over the edges that are live now (expired links and tokens left out). */
  solution: Solution
  /** The clock time at which some link or token expires and the solution must be redone. */
  validUntil: number
}

/** A grain's sharing records, as a process holds them between checks. Never mutated: changes make a new one. */
export interface RawData { edges: readonly ShareEdge[], links: ReadonlyMap<string, LinkRecord>, tokens: ReadonlyMap<string, TokenRecord> }

/**
 * A copy of `data` with the changes applied, oldest first. Edges are
 * immutable and their ids never reused, so an edge change is an addition or
 * a deletion: additions append (cheap even for 50,000 edges), deletions filter.
 */
export function applyChanges (data: RawData, changes: readonly Change[]): RawData {
  const added = new Map<string, ShareEdge>()
  const deleted = new Set<string>()
  const links = new Map(data.links)
  const tokens = new Map(data.tokens)
  for (const c of changes) {
    if (c.type === 'edge') {
      if (c.value !== undefined) added.set(c.id, c.value)
      else if (!added.delete(c.id)) deleted.add(c.id)
    } else {
      const map = (c.type === 'link' ? links : tokens) as Map<string, unknown>
      if (c.value === undefined) map.delete(c.id)
      else map.set(c.id, c.value)
    }
  }
  const kept = deleted.size === 0 ? data.edges : data.edges.filter((e) => !deleted.has(e.id))
  return { edges: added.size === 0 ? kept : kept.concat([...added.values()]), links, tokens }
}

/** Solves the loaded data at `now`. Pure. */
export function buildSnapshot (grainId: string, version: number, owner: string, appPermissions: readonly string[], data: RawData, now: number): Snapshot {
  const { links, tokens } = data
  let validUntil = Infinity
  const live = new Set<Principal>()
  const consider = (principal: Principal, r: { expiresAt?: number }): void => {
    if (expired(r, now)) return
    live.add(principal)
    if (r.expiresAt !== undefined) validUntil = Math.min(validUntil, r.expiresAt)
  }
  for (const l of links.values()) consider(linkPrincipal(l.id), l)
  for (const t of tokens.values()) consider(tokenPrincipal(t.id), t)
  // A link or token principal grants only while its record exists and has not expired.
  const alive = (p: Principal): boolean => p.startsWith('user:') || live.has(p)
  const { edges } = data
  const liveEdges = edges.filter((e) => alive(e.from) && alive(e.to))
  const solution = solve({ owner: userPrincipal(owner), appPermissions, edges: liveEdges })
  return { grainId, version, owner, appPermissions, edges, links, tokens, solution, validUntil }
}

/**
 * The snapshot after `changes` that only add (edges, links, tokens), built by
 * extending the previous solution instead of solving again; undefined when
 * that shortcut does not apply (a deletion, a lapsed record, a new edge
 * touching a link or token that is not live) and the caller must rebuild.
 */
export function extendSnapshot (prev: Snapshot, version: number, data: RawData, changes: readonly Change[], now: number): Snapshot | undefined {
  if (now >= prev.validUntil) return undefined
  let validUntil = prev.validUntil
  const added: ShareEdge[] = []
  for (const c of changes) {
    if (c.value === undefined) return undefined
    if (c.type === 'edge') { added.push(c.value); continue }
    if (expired(c.value, now)) return undefined
    if (c.value.expiresAt !== undefined) validUntil = Math.min(validUntil, c.value.expiresAt)
  }
  const live = (p: Principal): boolean => {
    if (p.startsWith('user:')) return true
    const r = p.startsWith('link:') ? data.links.get(p.slice(5)) : p.startsWith('token:') ? data.tokens.get(p.slice(6)) : undefined
    return r !== undefined && !expired(r, now)
  }
  if (!added.every((e) => live(e.from) && live(e.to))) return undefined
  return { ...prev, version, edges: data.edges, links: data.links, tokens: data.tokens, solution: extend(prev.solution, added), validUntil }
}

interface Entry {
  version: number
  owner: string
  app: GrainApp
  appKey: string
  data: RawData
  snapshot: Snapshot
  /** The change feed's bookmark taken before the load this entry came from (0 without a feed). */
  mark: number
}

/** Versioned, bounded (least recently used out) cache of solved snapshots. */
export class SnapshotCache {
  private readonly entries = new Map<string, Entry>()
  constructor (
    private readonly store: SharingStore,
    private readonly appPermissions: AppPermissionsResolver,
    private readonly now: () => number,
    private readonly size = DEFAULT_CACHE_GRAINS,
    /** With a feed, `get(grainId, true)` may answer from memory (see ./change-feed.ts). */
    private readonly feed?: Pick<ChangeFeed, 'mark' | 'fresh'>,
  ) {}

  /**
   * The grain's current snapshot: one round trip to Redis, then the cached
   * solution if nothing changed. With `trustFeed` and a change feed that
   * vouches that nothing changed since the cached load, no round trip at all
   * (writers' optimistic checks never pass it: they must see the version).
   * Throws GRAIN_ERR_NOT_FOUND if the grain does not exist.
   */
  async get (grainId: string, trustFeed = false): Promise<Snapshot> {
    const cached = this.entries.get(grainId)
    if (trustFeed && cached !== undefined && this.feed?.fresh(grainId, cached.mark) === true && this.now() < cached.snapshot.validUntil) {
      // The app's permissions come from memory; an app upgrade that changes them forces a load.
      const appPermissions = await this.appPermissions(cached.app)
      if (appPermissions === cached.snapshot.appPermissions || appPermissions.join(',') === cached.appKey) return cached.snapshot
    }
    const mark = this.feed?.mark() ?? 0
    const state: LoadedState = await this.store.load(grainId, cached?.version)
    if (state.owner === '') {
      this.entries.delete(grainId)
      throw new GRAIN_ERR_NOT_FOUND(grainId)
    }
    const app: GrainApp = { grainId, appId: state.appId, appVersion: state.appVersion }
    const appPermissions = await this.appPermissions(app)
    const appKey = appPermissions.join(',')
    const now = this.now()
    const entry = { version: state.version, owner: state.owner, app, appKey, mark }
    let data: RawData
    if (state.changes !== undefined && cached !== undefined && cached.appKey === appKey && cached.owner === state.owner) {
      data = applyChanges(cached.data, state.changes)
      const grown = extendSnapshot(cached.snapshot, state.version, data, state.changes, now)
      if (grown !== undefined) return this.keep(grainId, { ...entry, data, snapshot: grown })
    } else if (state.data !== undefined) {
      const d = state.data
      data = { edges: d.edges, links: new Map(d.links.map((l) => [l.id, l])), tokens: new Map(d.tokens.map((t) => [t.id, t])) }
    } else if (state.changes !== undefined && cached !== undefined) {
      data = applyChanges(cached.data, state.changes)
    } else if (cached !== undefined && cached.version === state.version) {
      if (cached.appKey === appKey && now < cached.snapshot.validUntil && cached.owner === state.owner) {
        // Still current as of this load: its bookmark lets the feed vouch for it from here on.
        return this.keep(grainId, { ...cached, app, mark })
      }
      data = cached.data
    } else {
      // Unreachable by the script's contract (neither data nor changes only when the version matched); reload in full.
      return this.reload(grainId)
    }
    const snapshot = buildSnapshot(grainId, state.version, state.owner, appPermissions, data, now)
    return this.keep(grainId, { ...entry, data, snapshot })
  }

  private keep (grainId: string, entry: Entry): Snapshot {
    const current = this.entries.get(grainId)
    // Concurrent checks may finish out of order: never replace a newer entry with an older one.
    if (current === undefined || current.version <= entry.version) this.touch(grainId, entry)
    return entry.snapshot
  }

  /** Forgets a grain (deleted). */
  forget (grainId: string): void { this.entries.delete(grainId) }

  private async reload (grainId: string): Promise<Snapshot> {
    this.entries.delete(grainId)
    return this.get(grainId)
  }

  private touch (grainId: string, entry: Entry): void {
    this.entries.delete(grainId)
    this.entries.set(grainId, entry)
    while (this.entries.size > this.size) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }
}

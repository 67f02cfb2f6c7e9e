/**
 * The sharing service: who may share, revoke, create and redeem links and API
 * tokens on a grain, and what everyone holds. Both the proxy (checks, the
 * sharing API) and the control plane (grain deletion) use it.
 *
 * Permission checks cost one Redis round trip plus a cached solution (see
 * ./snapshot.ts for the consistency guarantee), or none on the request path
 * (`requestSnapshot`) while a change feed vouches for the cache. Writes that
 * depend on what the actor holds (share, create link, create token) are optimistic: they
 * check against the snapshot at version v and the write script refuses if
 * the version moved, in which case they re-read and try again; so a share
 * never slips past a concurrent revoke of the sharer's own access.
 */
import type { Redis } from 'ioredis'
import {
  ERR_BAD_REQUEST, ERR_CONFLICT, ERR_FORBIDDEN, GRAIN_ERR_NOT_FOUND, LINK_ERR_NOT_FOUND,
  SHARE_ERR_NOT_FOUND, SHARE_ERR_NOT_HELD, TOKEN_ERR_NOT_FOUND, USER_ERR_NOT_FOUND,
} from '../errors.js'
import { randomId, secretToken } from '../ids.js'
import { redisUserStore, type UserStore } from '../users.js'
import { accessPaths, linkPrincipal, tokenPrincipal, userPrincipal, type Grant, type Principal } from './graph.js'
import { expired, hashSecret, type EdgeKind, type LinkRecord, type ShareEdge, type TokenRecord } from './records.js'
import type { ChangeFeed } from './change-feed.js'
import { SnapshotCache, type AppPermissionsResolver, type Snapshot } from './snapshot.js'
import { CONFLICT, GRAIN_GONE } from './scripts.js'
import { redisSharingStore, type AuditEntry, type AuditFields, type SharingStore } from './store.js'
import { checkExpiry, checkGrant, checkId, checkLabel, checkSecret } from './validate.js'

/** Attempts of an optimistic write before giving up with ERR_CONFLICT. */
const MAX_WRITE_ATTEMPTS = 8
const ID_LENGTH = 16
const DEFAULT_AUDIT_COUNT = 100
const MAX_AUDIT_COUNT = 1000
const SECRET_CACHE_SIZE = 10_000
const BAD_LINK = 'this sharing link is not valid: it was revoked, has expired, or is mistyped'

export interface SharingServiceOptions {
  redis: Redis
  /** The app's permission ids in manifest order, for a grain's app. */
  appPermissions: AppPermissionsResolver
  /** Defaults to the Redis user store on the same client. */
  users?: UserStore
  /** Defaults to the Redis sharing store on the same client. */
  store?: SharingStore
  /** The clock for expiry (ms since the epoch). */
  now?: () => number
  /** Grains whose solved graph this process keeps (default 1,000). */
  cacheSize?: number
  /**
   * The grain-changes feed: lets `requestSnapshot` answer from memory, and
   * every write waits for it to settle before returning (see ./change-feed.ts).
   */
  feed?: ChangeFeed
}

/** A link as shown to people: its record without the secret's hash. */
export type LinkInfo = Omit<LinkRecord, 'secretHash'>
/** An API token as shown to people: its record without the secret's hash. */
export type TokenInfo = Omit<TokenRecord, 'secretHash'>

export interface AccessEdge {
  id: string
  kind: EdgeKind
  from: Principal
  to: Principal
  /** The user answerable for the grant: the sharer; for `redeem` edges, the link's creator. */
  sharer: string
  /** What the edge was given: explicit ids or `'all'`. */
  declared: Grant
  /** What it carries now: declared ∩ what `from` holds (empty for expired links and tokens). */
  grants: string[]
  createdBy: string
  createdAt: number
  /** May the viewer revoke it. */
  canRevoke: boolean
}

export interface AccessPrincipal {
  principal: Principal
  permissions: string[]
  /** Edge-id paths from the owner by which it holds them (one per granting incoming edge). */
  paths: string[][]
}

/** Who has access to a grain, as the viewer may see it. API tokens are shown only to their user and the owner. */
export interface AccessGraph {
  grainId: string
  owner: string
  version: number
  appPermissions: readonly string[]
  edges: AccessEdge[]
  principals: AccessPrincipal[]
  links: Array<LinkInfo & { expired: boolean, canRevoke: boolean }>
  tokens: Array<TokenInfo & { expired: boolean, canRevoke: boolean }>
}

export interface LinkAccess { grainId: string, linkId: string, allowAnonymous: boolean, role?: string, permissions: string[] }
export interface TokenAccess { grainId: string, tokenId: string, userId: string, permissions: string[] }

const strip = <T extends { secretHash: string }>(r: T): Omit<T, 'secretHash'> => {
  const rest: Partial<T> = { ...r }
  delete rest.secretHash
  return rest as Omit<T, 'secretHash'>
}

export class SharingService {
  private readonly store: SharingStore
  private readonly users: UserStore
  private readonly now: () => number
  private readonly cache: SnapshotCache
  // Secret hash → where it points. The mapping never changes (ids are never
  // reused) and revocation shows in the graph, so caching it is safe.
  private readonly secrets = new Map<string, { grainId: string, kind: 'link' | 'token', id: string }>()

  private readonly feed: ChangeFeed | undefined

  constructor (opts: SharingServiceOptions) {
    const store = opts.store ?? redisSharingStore(opts.redis)
    this.feed = opts.feed
    this.store = opts.feed === undefined ? store : settlingStore(store, opts.feed)
    this.users = opts.users ?? redisUserStore(opts.redis)
    this.now = opts.now ?? Date.now
    this.cache = new SnapshotCache(this.store, opts.appPermissions, this.now, opts.cacheSize, opts.feed)
  }

  // ---- checks ----------------------------------------------------------

  /** The grain's solved graph as of now (one round trip). Throws GRAIN_ERR_NOT_FOUND. */
  snapshot (grainId: string): Promise<Snapshot> {
    return this.cache.get(checkId('grainId', grainId))
  }

  /**
   * The grain's solved graph for answering a request: from memory when the
   * change feed vouches that nothing changed since it was loaded, else as
   * `snapshot`. Same guarantee: it reflects every write that returned before
   * the call. Not for writers' checks (they need the version they write against).
   */
  requestSnapshot (grainId: string): Promise<Snapshot> {
    return this.cache.get(checkId('grainId', grainId), true)
  }

  /**
   * Waits until every process on the change feed has seen every change made
   * before the call (no-op without a feed). Sharing writes do it themselves;
   * call it after changing a grain some other way (deleting it, say).
   */
  async settle (): Promise<void> {
    await this.feed?.settle()
  }

  /** Effective permissions of any principal (`user:`, `link:`, `token:`), in manifest order. */
  async permissionsOf (grainId: string, principal: Principal): Promise<string[]> {
    return (await this.snapshot(grainId)).solution.permissionsOf(principal)
  }

  /** Effective permissions of a user on a grain, in manifest order; `[]` if none. Throws GRAIN_ERR_NOT_FOUND. */
  async userPermissions (grainId: string, userId: string): Promise<string[]> {
    return this.permissionsOf(grainId, userPrincipal(checkId('userId', userId)))
  }

  /** What a sharing link's secret opens, or undefined if it is unknown, revoked or expired. */
  async resolveLink (secret: string): Promise<LinkAccess | undefined> {
    const target = await this.resolveSecret(checkSecret(secret), 'link')
    if (target === undefined) return undefined
    const snap = await this.snapshotOrUndefined(target.grainId)
    const link = snap?.links.get(target.id)
    if (snap === undefined || link === undefined || expired(link, this.now())) return undefined
    return {
      grainId: link.grainId, linkId: link.id, allowAnonymous: link.allowAnonymous,
      ...(link.role !== undefined ? { role: link.role } : {}),
      permissions: snap.solution.permissionsOf(linkPrincipal(link.id)),
    }
  }

  /**
   * What an API token's secret may do, or undefined if it is unknown, revoked
   * or expired. For grain requests: answered like `requestSnapshot`.
   */
  async resolveToken (secret: string): Promise<TokenAccess | undefined> {
    const target = await this.resolveSecret(checkSecret(secret), 'token')
    if (target === undefined) return undefined
    const snap = await this.snapshotOrUndefined(target.grainId, true)
    const token = snap?.tokens.get(target.id)
    if (snap === undefined || token === undefined || expired(token, this.now())) return undefined
    return { grainId: token.grainId, tokenId: token.id, userId: token.userId, permissions: snap.solution.permissionsOf(tokenPrincipal(token.id)) }
  }

  // ---- shares ----------------------------------------------------------

  /**
   * `actor` shares with user `to`: explicit permissions or `'all'` (what the
   * actor holds at each request). Refused: sharing with yourself or with the
   * owner, an unknown recipient, an empty or unknown permission, a permission the actor does
   * not hold (the message names them), or any share by someone who holds nothing.
   * Sharing exactly the same permissions with the same user again answers the
   * existing edge (no second edge, no version bump).
   */
  async share (input: { grainId: string, actor: string, to: string, permissions: unknown }): Promise<ShareEdge> {
    const grainId = checkId('grainId', input.grainId)
    const actor = checkId('actor', input.actor)
    const to = checkId('recipient', input.to)
    if (to === actor) throw new ERR_BAD_REQUEST('you cannot share a grain with yourself')
    if (await this.users.get(to) === undefined) throw new USER_ERR_NOT_FOUND(to)
    return this.optimistic(grainId, async (snap) => {
      if (to === snap.owner) throw new ERR_BAD_REQUEST('that user owns this grain and already holds every permission')
      const permissions = this.checkHeld(snap, actor, input.permissions)
      // The same share again (a retried request, a double click) answers the existing edge.
      const same = snap.edges.find((e) => e.kind === 'share' && e.from === userPrincipal(actor) && e.to === userPrincipal(to) && grantText(e.permissions) === grantText(permissions))
      if (same !== undefined) return [snap.version, same]
      const edge: ShareEdge = { id: randomId(ID_LENGTH), kind: 'share', from: userPrincipal(actor), to: userPrincipal(to), permissions, createdBy: actor, createdAt: this.now() }
      const result = await this.store.addEdge(grainId, snap.version, edge, audit('share', actor, { edge: edge.id, to: edge.to, permissions: grantText(permissions) }, this.now()))
      return [result, edge]
    })
  }

  /**
   * Revokes any edge: a share, a link (with everyone who came through it), a
   * single redeemer, or an API token. Only the edge's sharer or the grain's
   * owner may; others get ERR_FORBIDDEN. SHARE_ERR_NOT_FOUND if it is not there.
   */
  async revoke (input: { grainId: string, actor: string, edgeId: string }): Promise<void> {
    const grainId = checkId('grainId', input.grainId)
    const actor = checkId('actor', input.actor)
    const edgeId = checkId('edgeId', input.edgeId)
    const edge = await this.store.getEdge(grainId, edgeId)
    if (edge === undefined) throw new SHARE_ERR_NOT_FOUND(edgeId)
    if (edge.kind === 'link') return this.revokeLink({ grainId, actor, linkId: edge.to.slice('link:'.length) })
    if (edge.kind === 'token') return this.revokeToken({ grainId, actor, tokenId: edge.to.slice('token:'.length) })
    const snap = await this.snapshot(grainId)
    if (!mayRevoke(snap, edge, actor)) throw new ERR_FORBIDDEN('only the user who shared this or the grain\'s owner may revoke it')
    const result = await this.store.removeEdge(grainId, edge, audit('revoke', actor, { edge: edge.id, kind: edge.kind, from: edge.from, to: edge.to }, this.now()))
    if (result === GRAIN_GONE) throw new GRAIN_ERR_NOT_FOUND(grainId)
    if (result === 0) throw new SHARE_ERR_NOT_FOUND(edgeId)
  }

  // ---- links -----------------------------------------------------------

  /**
   * Creates a sharing link carrying `permissions` (∩ what the actor holds, at
   * each request). Answers the link and its secret; the secret is shown once
   * and stored only hashed. `allowAnonymous` says whether visitors who are
   * not logged in may use it: the caller must also check the app allows it.
   */
  async createLink (input: { grainId: string, actor: string, permissions: unknown, role?: unknown, allowAnonymous?: unknown, expiresAt?: unknown }): Promise<{ link: LinkInfo, secret: string }> {
    const grainId = checkId('grainId', input.grainId)
    const actor = checkId('actor', input.actor)
    const role = checkLabel('role', input.role)
    if (input.allowAnonymous !== undefined && typeof input.allowAnonymous !== 'boolean') throw new ERR_BAD_REQUEST('allowAnonymous must be true or false')
    const expiresAt = checkExpiry(input.expiresAt, this.now())
    const secret = secretToken()
    return this.optimistic(grainId, async (snap) => {
      const permissions = this.checkHeld(snap, actor, input.permissions)
      const link: LinkRecord = {
        id: randomId(ID_LENGTH), grainId, createdBy: actor, createdAt: this.now(), permissions,
        ...(role !== undefined ? { role } : {}), allowAnonymous: input.allowAnonymous === true,
        ...(expiresAt !== undefined ? { expiresAt } : {}), edgeId: randomId(ID_LENGTH), secretHash: hashSecret(secret),
      }
      const edge: ShareEdge = { id: link.edgeId, kind: 'link', from: userPrincipal(actor), to: linkPrincipal(link.id), permissions, createdBy: actor, createdAt: link.createdAt }
      const result = await this.store.createLink(link, edge, snap.version, audit('link-create', actor, { link: link.id, edge: edge.id, permissions: grantText(permissions), ...(expiresAt !== undefined ? { expiresAt: String(expiresAt) } : {}) }, this.now()))
      return [result, { link: strip(link), secret }]
    })
  }

  /**
   * A logged-in user opens a link: they get an edge link → user (once; a second
   * redeem answers the first edge). The owner and the link's creator get no
   * edge (they already hold all it carries). LINK_ERR_NOT_FOUND if the link
   * is unknown, revoked or expired.
   */
  async redeemLink (input: { secret: string, userId: string }): Promise<{ grainId: string, linkId: string, edgeId?: string, permissions: string[] }> {
    const userId = checkId('userId', input.userId)
    const target = await this.resolveSecret(checkSecret(input.secret), 'link')
    if (target === undefined) throw new LINK_ERR_NOT_FOUND(BAD_LINK)
    const snap = await this.snapshot(target.grainId)
    const link = snap.links.get(target.id)
    if (link === undefined || expired(link, this.now())) throw new LINK_ERR_NOT_FOUND(BAD_LINK)
    if (await this.users.get(userId) === undefined) throw new USER_ERR_NOT_FOUND(userId)
    const base = { grainId: link.grainId, linkId: link.id }
    if (userId === snap.owner || userId === link.createdBy) return { ...base, permissions: snap.solution.permissionsOf(userPrincipal(userId)) }
    const edge: ShareEdge = { id: randomId(ID_LENGTH), kind: 'redeem', from: linkPrincipal(link.id), to: userPrincipal(userId), permissions: 'all', createdBy: userId, createdAt: this.now() }
    const { result, edgeId } = await this.store.redeemLink(link, edge, audit('link-redeem', userId, { link: link.id, edge: edge.id }, this.now()))
    if (result === GRAIN_GONE) throw new GRAIN_ERR_NOT_FOUND(link.grainId)
    if (result === 0) throw new LINK_ERR_NOT_FOUND(BAD_LINK)
    return { ...base, edgeId, permissions: await this.userPermissions(link.grainId, userId) }
  }

  /** Revokes a link and every edge that came through it. Its creator or the owner only. */
  async revokeLink (input: { grainId: string, actor: string, linkId: string }): Promise<void> {
    const grainId = checkId('grainId', input.grainId)
    const actor = checkId('actor', input.actor)
    const linkId = checkId('linkId', input.linkId)
    const snap = await this.snapshot(grainId)
    const link = snap.links.get(linkId)
    if (link === undefined) throw new LINK_ERR_NOT_FOUND(`link ${linkId} not found on this grain`)
    if (actor !== link.createdBy && actor !== snap.owner) throw new ERR_FORBIDDEN('only the link\'s creator or the grain\'s owner may revoke it')
    const result = await this.store.revokeLink(link, audit('link-revoke', actor, { link: link.id }, this.now()))
    if (result === GRAIN_GONE) throw new GRAIN_ERR_NOT_FOUND(grainId)
    if (result === 0) throw new LINK_ERR_NOT_FOUND(`link ${linkId} not found on this grain`)
  }

  // ---- API tokens ------------------------------------------------------

  /**
   * Creates an API token acting as `actor` on one grain, carrying a subset of
   * permissions (or `'all'`); it holds subset ∩ what the actor holds at each
   * request, so it loses access when they do. The secret is shown once.
   */
  async createToken (input: { grainId: string, actor: string, permissions: unknown, label?: unknown, expiresAt?: unknown }): Promise<{ token: TokenInfo, secret: string }> {
    const grainId = checkId('grainId', input.grainId)
    const actor = checkId('actor', input.actor)
    const label = checkLabel('label', input.label)
    const expiresAt = checkExpiry(input.expiresAt, this.now())
    const secret = secretToken()
    return this.optimistic(grainId, async (snap) => {
      const permissions = this.checkHeld(snap, actor, input.permissions)
      const token: TokenRecord = {
        id: randomId(ID_LENGTH), grainId, userId: actor, createdAt: this.now(), permissions,
        ...(label !== undefined ? { label } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}),
        edgeId: randomId(ID_LENGTH), secretHash: hashSecret(secret),
      }
      const edge: ShareEdge = { id: token.edgeId, kind: 'token', from: userPrincipal(actor), to: tokenPrincipal(token.id), permissions, createdBy: actor, createdAt: token.createdAt }
      const result = await this.store.createToken(token, edge, snap.version, audit('token-create', actor, { token: token.id, edge: edge.id, permissions: grantText(permissions) }, this.now()))
      return [result, { token: strip(token), secret }]
    })
  }

  /** Revokes an API token. Its user or the owner only. */
  async revokeToken (input: { grainId: string, actor: string, tokenId: string }): Promise<void> {
    const grainId = checkId('grainId', input.grainId)
    const actor = checkId('actor', input.actor)
    const tokenId = checkId('tokenId', input.tokenId)
    const snap = await this.snapshot(grainId)
    const token = snap.tokens.get(tokenId)
    if (token === undefined) throw new TOKEN_ERR_NOT_FOUND(`API token ${tokenId} not found on this grain`)
    if (actor !== token.userId && actor !== snap.owner) throw new ERR_FORBIDDEN('only the token\'s user or the grain\'s owner may revoke it')
    const result = await this.store.revokeToken(token, audit('token-revoke', actor, { token: token.id }, this.now()))
    if (result === GRAIN_GONE) throw new GRAIN_ERR_NOT_FOUND(grainId)
    if (result === 0) throw new TOKEN_ERR_NOT_FOUND(`API token ${tokenId} not found on this grain`)
  }

  // ---- views -----------------------------------------------------------

  /**
   * Who has access: every edge with what it declares and grants now and
   * whether the viewer may revoke it, every principal's permissions and the
   * paths they came by. Anyone holding a permission on the grain may look;
   * API tokens are shown only to their user and the owner.
   */
  async accessGraph (grainId: string, viewer: string): Promise<AccessGraph> {
    const snap = await this.snapshot(grainId)
    checkId('viewer', viewer)
    const isOwner = viewer === snap.owner
    if (!isOwner && snap.solution.permissionsOf(userPrincipal(viewer)).length === 0) throw new ERR_FORBIDDEN('you have no access to this grain')
    const hiddenTokens = new Set([...snap.tokens.values()].filter((t) => !isOwner && t.userId !== viewer).map((t) => tokenPrincipal(t.id)))
    const paths = accessPaths(snap.solution)
    const now = this.now()
    const byAge = [...snap.edges].sort((x, y) => x.createdAt - y.createdAt || (x.id < y.id ? -1 : 1))
    const edges: AccessEdge[] = byAge.filter((e) => !hiddenTokens.has(e.to)).map((e) => ({
      id: e.id, kind: e.kind, from: e.from, to: e.to, sharer: sharerOf(snap, e), declared: e.permissions,
      grants: snap.solution.edgeGrants(e.id), createdBy: e.createdBy, createdAt: e.createdAt, canRevoke: mayRevoke(snap, e, viewer),
    }))
    const principals = snap.solution.all().filter((p) => !hiddenTokens.has(p.principal))
      .map((p) => ({ ...p, paths: paths.get(p.principal) ?? [] }))
    return {
      grainId: snap.grainId, owner: snap.owner, version: snap.version, appPermissions: snap.appPermissions, edges, principals,
      links: [...snap.links.values()].map((l) => ({ ...strip(l), expired: expired(l, now), canRevoke: isOwner || l.createdBy === viewer })),
      tokens: [...snap.tokens.values()].filter((t) => !hiddenTokens.has(tokenPrincipal(t.id)))
        .map((t) => ({ ...strip(t), expired: expired(t, now), canRevoke: isOwner || t.userId === viewer })),
    }
  }

  /** The grain's sharing audit log, newest first. The owner only. */
  async auditLog (grainId: string, viewer: string, count = DEFAULT_AUDIT_COUNT): Promise<AuditEntry[]> {
    const snap = await this.snapshot(grainId)
    if (viewer !== snap.owner) throw new ERR_FORBIDDEN('only the grain\'s owner may read its sharing log')
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_AUDIT_COUNT) throw new ERR_BAD_REQUEST(`count must be 1-${MAX_AUDIT_COUNT}`)
    return this.store.audit(snap.grainId, count)
  }

  /** Grains where the user received at least one edge; check `userPermissions` before listing one. */
  grainsSharedWith (userId: string): Promise<string[]> {
    return this.store.grainsSharedWith(checkId('userId', userId))
  }

  /** Drops all sharing data of a deleted grain (call after deleting its record). */
  async removeGrain (grainId: string): Promise<void> {
    await this.store.removeGrain(checkId('grainId', grainId))
    this.cache.forget(grainId)
  }

  // ---- internals -------------------------------------------------------

  private async snapshotOrUndefined (grainId: string, trustFeed = false): Promise<Snapshot | undefined> {
    try {
      return await this.cache.get(grainId, trustFeed)
    } catch (err) {
      if (err instanceof GRAIN_ERR_NOT_FOUND) return undefined
      throw err
    }
  }

  private async resolveSecret (secret: string, kind: 'link' | 'token'): Promise<{ grainId: string, id: string } | undefined> {
    const hash = hashSecret(secret)
    let target = this.secrets.get(hash)
    if (target === undefined) {
      target = await this.store.resolveSecret(hash)
      if (target === undefined) return undefined
      if (this.secrets.size >= SECRET_CACHE_SIZE) this.secrets.clear()
      this.secrets.set(hash, target)
    }
    return target.kind === kind ? target : undefined
  }

  /** The grant, checked against the app and against what the actor holds in `snap`. */
  private checkHeld (snap: Snapshot, actor: string, permissions: unknown): Grant {
    const grant = checkGrant(permissions, snap.appPermissions)
    const held = snap.solution.permissionsOf(userPrincipal(actor))
    if (held.length === 0) throw new ERR_FORBIDDEN('you hold no permissions on this grain')
    if (grant !== 'all') {
      const missing = grant.filter((p) => !held.includes(p))
      if (missing.length > 0) throw new SHARE_ERR_NOT_HELD(`you cannot share permissions you do not hold: ${missing.join(', ')} (you hold ${held.join(', ')})`)
    }
    return grant
  }

  /** Runs a version-checked write, re-reading the snapshot when another write got in first. */
  private async optimistic<T> (grainId: string, attempt: (snap: Snapshot) => Promise<[number, T]>): Promise<T> {
    for (let i = 0; i < MAX_WRITE_ATTEMPTS; i++) {
      const [result, value] = await attempt(await this.snapshot(grainId))
      if (result === GRAIN_GONE) throw new GRAIN_ERR_NOT_FOUND(grainId)
      if (result !== CONFLICT) return value
    }
    throw new ERR_CONFLICT('the grain\'s sharing is changing too fast right now; try again')
  }
}

function sharerOf (snap: Snapshot, e: ShareEdge): string {
  if (e.kind === 'redeem') return snap.links.get(e.from.slice('link:'.length))?.createdBy ?? ''
  return e.from.startsWith('user:') ? e.from.slice('user:'.length) : e.createdBy
}

/** The grain's owner may revoke anything; otherwise only the edge's sharer. */
function mayRevoke (snap: Snapshot, e: ShareEdge, actor: string): boolean {
  return actor === snap.owner || sharerOf(snap, e) === actor
}

const grantText = (g: Grant): string => g === 'all' ? 'all' : g.join(',')

function audit (action: string, actor: string, fields: AuditFields, at: number): AuditFields {
  return { action, actor, ...fields, at: String(at) }
}

/**
 * The store, with every write followed by `feed.settle()`: no sharing write
 * returns before every proxy has seen it. Not `removeGrain`: its caller also
 * deletes the grain record, and settles once after both.
 */
function settlingStore (store: SharingStore, feed: ChangeFeed): SharingStore {
  const settled = <A extends unknown[], R>(write: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const result = await write(...args)
    await feed.settle()
    return result
  }
  return {
    ...store,
    addEdge: settled(store.addEdge.bind(store)),
    removeEdge: settled(store.removeEdge.bind(store)),
    createLink: settled(store.createLink.bind(store)),
    createToken: settled(store.createToken.bind(store)),
    redeemLink: settled(store.redeemLink.bind(store)),
    revokeLink: settled(store.revokeLink.bind(store)),
    revokeToken: settled(store.revokeToken.bind(store)),
  }
}

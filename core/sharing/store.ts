/**
 * The sharing store: a grain's edges, links, API tokens and audit stream in
 * Redis (keys in `core/keys.ts`, "Sharing"); every write is also appended to
 * the installation's audit log (`core/audit.ts`). Low level and unopinionated:
 * it checks no permissions; `SharingService` (./service.ts) decides who may
 * do what and calls this. Every write is one Lua script (./scripts.ts), so
 * concurrent writers never leave half a link or a dangling edge, and every
 * write bumps the grain's sharing version in the same step.
 */
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { keys } from '../keys.js'
import { streamFields } from '../redis.js'
import { grainChangeMessage, grainChangesChannel } from './change-feed.js'
import { decodeEdge, decodeJson, encodeEdge, type LinkRecord, type ShareEdge, type TokenRecord } from './records.js'
import { ADD_EDGE, CREATE_BEARER, LOAD, REDEEM_LINK, REMOVE_EDGE, REVOKE_BEARER } from './scripts.js'

/** Audit entries kept per grain (approximately: Redis trims whole nodes). */
export const DEFAULT_AUDIT_MAX_LENGTH = 10_000

/** The fields of one audit entry besides its action; values are strings. */
export type AuditFields = Record<string, string>

export interface AuditEntry {
  /** The stream entry id (`<ms>-<seq>`). */
  id: string
  action: string
  actor: string
  fields: AuditFields
}

/** One entry of the change log: a record set (`value`) or deleted (no `value`). */
export type Change =
  | { type: 'edge', id: string, value?: ShareEdge }
  | { type: 'link', id: string, value?: LinkRecord }
  | { type: 'token', id: string, value?: TokenRecord }

export interface LoadedState {
  /** The grain's sharing version (0 before the first write). */
  version: number
  /** The owner's user id; `''` if the grain does not exist. */
  owner: string
  appId: string
  appVersion: string
  /** The whole graph, when the caller had no cached version or fell too far behind. */
  data?: { edges: ShareEdge[], links: LinkRecord[], tokens: TokenRecord[] }
  /** Or the changes since the caller's cached version, oldest first. Neither: the cached version is current (or the grain is gone). */
  changes?: Change[]
}

/** Where a link or token secret points. */
export interface SecretTarget { grainId: string, kind: 'link' | 'token', id: string }

/** Answer codes of write scripts (see ./scripts.ts). */
export type WriteResult = number

export interface SharingStore {
  /**
   * One round trip: version, owner and app of the grain, read atomically, plus
   * the changes since `cachedVersion` (or all its sharing data) if that is not current.
   */
  load(grainId: string, cachedVersion?: number): Promise<LoadedState>
  /** Adds an edge if the version is still `expectedVersion` (undefined: whatever the version; for bulk loads). */
  addEdge(grainId: string, expectedVersion: number | undefined, edge: ShareEdge, audit: AuditFields): Promise<WriteResult>
  /** Removes an edge (and a redeemer's entry if it is a `redeem` edge). Answers 0 if it was not there. */
  removeEdge(grainId: string, edge: ShareEdge, audit: AuditFields): Promise<WriteResult>
  /** Stores a link, its creator edge and its secret's lookup key, if the version is still `expectedVersion`. */
  createLink(link: LinkRecord, edge: ShareEdge, expectedVersion: number, audit: AuditFields): Promise<WriteResult>
  /** Stores an API token, its creator edge and its secret's lookup key, if the version is still `expectedVersion`. */
  createToken(token: TokenRecord, edge: ShareEdge, expectedVersion: number, audit: AuditFields): Promise<WriteResult>
  /** Gives a user a link → user edge, once; answers the existing edge if they had one. */
  redeemLink(link: LinkRecord, edge: ShareEdge, audit: AuditFields): Promise<{ result: WriteResult, edgeId: string }>
  /** Removes a link, its secret, its creator edge and every redeemer's edge. Answers 0 if it was not there. */
  revokeLink(link: LinkRecord, audit: AuditFields): Promise<WriteResult>
  /** Removes a token, its secret and its edge. Answers 0 if it was not there. */
  revokeToken(token: TokenRecord, audit: AuditFields): Promise<WriteResult>
  getEdge(grainId: string, edgeId: string): Promise<ShareEdge | undefined>
  getLink(grainId: string, linkId: string): Promise<LinkRecord | undefined>
  getToken(grainId: string, tokenId: string): Promise<TokenRecord | undefined>
  /** Where a secret (given as its hash) points; undefined if unknown or expired. */
  resolveSecret(secretHash: string): Promise<SecretTarget | undefined>
  /** The latest audit entries, newest first. */
  audit(grainId: string, count: number): Promise<AuditEntry[]>
  /** Grain ids where the user is the recipient of at least one edge (candidates: check their permissions). */
  grainsSharedWith(userId: string): Promise<string[]>
  /**
   * Removes every sharing key of the grain, its secrets and its entries in
   * users' shared-with lists. Call it after deleting the grain record: writes
   * refuse a grain without a record, so none can slip in between.
   * Succeeds silently if there is nothing to remove.
   */
  removeGrain(grainId: string): Promise<void>
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex')

export function redisSharingStore (redis: Redis, opts: { auditMaxLength?: number } = {}): SharingStore {
  const auditMax = String(opts.auditMaxLength ?? DEFAULT_AUDIT_MAX_LENGTH)
  // Keys built inside a script do not get ioredis' keyPrefix: pass it in.
  const sharedWithPrefix = `${redis.options.keyPrefix ?? ''}${keys.grainsSharedWith('')}`
  const changesChannel = grainChangesChannel(redis)

  const run = async (script: string, keyList: string[], args: string[]): Promise<unknown> => {
    const sha = sha1(script)
    try {
      return await redis.evalsha(sha, keyList.length, ...keyList, ...args)
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return redis.eval(script, keyList.length, ...keyList, ...args)
    }
  }
  const write = async (grainId: string, script: string, ownKeys: string[], expected: number | undefined, ownArgs: string[], audit: AuditFields): Promise<unknown> => {
    const keyList = [keys.sharingVersion(grainId), keys.shares(grainId), keys.sharingAudit(grainId), keys.inbound(grainId), keys.grain(grainId), keys.audit(), ...ownKeys, keys.sharingChanges(grainId)]
    const args = [expected === undefined ? '' : String(expected), sharedWithPrefix, grainId, String(Date.now()), auditMax, changesChannel, ...ownArgs, ...Object.entries(audit).flat()]
    return run(script, keyList, args)
  }
  const records = <T>(flat: string[]): T[] => {
    const out: T[] = []
    for (let i = 1; i < flat.length; i += 2) { const r = decodeJson<T>(flat[i]); if (r !== undefined) out.push(r) }
    return out
  }
  const createBearer = (grainId: string, recordsKey: string, record: LinkRecord | TokenRecord, kind: 'link' | 'token', edge: ShareEdge, expected: number, audit: AuditFields): Promise<unknown> =>
    write(grainId, CREATE_BEARER, [recordsKey, keys.sharingSecret(record.secretHash)], expected,
      [record.id, JSON.stringify(record), edge.id, encodeEdge(edge), `${grainId}:${kind}:${record.id}`, record.expiresAt === undefined ? '' : String(record.expiresAt), kind === 'link' ? 'l' : 't'], audit)

  return {
    async load (grainId, cachedVersion) {
      const answer = await run(LOAD, [keys.sharingVersion(grainId), keys.grain(grainId), keys.shares(grainId), keys.links(grainId), keys.apiTokens(grainId), keys.sharingChanges(grainId)],
        [cachedVersion === undefined ? '' : String(cachedVersion)]) as [string, string, string, string, string?, unknown[]?, string[]?, string[]?]
      const [version, owner, appId, appVersion, how, edgesFlat, linksFlat, tokensFlat] = answer
      const state: LoadedState = { version: Number(version), owner, appId, appVersion }
      if (how === 'delta') {
        state.changes = (edgesFlat as Array<[string, string[]]>).map(([, f]) => decodeChange(f))
        return state
      }
      if (how !== 'full' || edgesFlat === undefined) return state
      const edges: ShareEdge[] = []
      const flat = edgesFlat as string[]
      for (let i = 0; i + 1 < flat.length; i += 2) { const e = decodeEdge(flat[i]!, flat[i + 1]!); if (e !== undefined) edges.push(e) }
      state.data = { edges, links: records<LinkRecord>(linksFlat ?? []), tokens: records<TokenRecord>(tokensFlat ?? []) }
      return state
    },
    async addEdge (grainId, expected, edge, audit) {
      return Number(await write(grainId, ADD_EDGE, [], expected, [edge.id, encodeEdge(edge)], audit))
    },
    async removeEdge (grainId, edge, audit) {
      const linkId = edge.kind === 'redeem' ? edge.from.slice('link:'.length) : ''
      const userId = edge.kind === 'redeem' ? edge.to.slice('user:'.length) : ''
      return Number(await write(grainId, REMOVE_EDGE, [keys.linkRedeemers(grainId, linkId)], undefined, [edge.id, userId], audit))
    },
    async createLink (link, edge, expected, audit) {
      return Number(await createBearer(link.grainId, keys.links(link.grainId), link, 'link', edge, expected, audit))
    },
    async createToken (token, edge, expected, audit) {
      return Number(await createBearer(token.grainId, keys.apiTokens(token.grainId), token, 'token', edge, expected, audit))
    },
    async redeemLink (link, edge, audit) {
      const [result, edgeId] = await write(link.grainId, REDEEM_LINK, [keys.links(link.grainId), keys.linkRedeemers(link.grainId, link.id)], undefined,
        [link.id, edge.to.slice('user:'.length), edge.id, encodeEdge(edge)], audit) as [number, string]
      return { result: Number(result), edgeId }
    },
    async revokeLink (link, audit) {
      return Number(await write(link.grainId, REVOKE_BEARER, [keys.links(link.grainId), keys.linkRedeemers(link.grainId, link.id), keys.sharingSecret(link.secretHash)], undefined, [link.id, link.edgeId, 'l'], audit))
    },
    async revokeToken (token, audit) {
      // Tokens have no redeemers; the redeemers key of the same id is never written.
      return Number(await write(token.grainId, REVOKE_BEARER, [keys.apiTokens(token.grainId), keys.linkRedeemers(token.grainId, token.id), keys.sharingSecret(token.secretHash)], undefined, [token.id, token.edgeId, 't'], audit))
    },
    async getEdge (grainId, edgeId) {
      const v = await redis.hget(keys.shares(grainId), edgeId)
      return v === null ? undefined : decodeEdge(edgeId, v)
    },
    async getLink (grainId, linkId) {
      return decodeJson<LinkRecord>(await redis.hget(keys.links(grainId), linkId) ?? undefined)
    },
    async getToken (grainId, tokenId) {
      return decodeJson<TokenRecord>(await redis.hget(keys.apiTokens(grainId), tokenId) ?? undefined)
    },
    async resolveSecret (secretHash) {
      const v = await redis.get(keys.sharingSecret(secretHash))
      const m = v === null ? null : /^([^:]+):(link|token):([^:]+)$/.exec(v)
      return m === null ? undefined : { grainId: m[1]!, kind: m[2] as 'link' | 'token', id: m[3]! }
    },
    async audit (grainId, count) {
      const entries = await redis.xrevrange(keys.sharingAudit(grainId), '+', '-', 'COUNT', count)
      return entries.map(([id, flat]) => {
        const { action = '', actor = '', ...rest } = streamFields(flat)
        return { id, action, actor, fields: rest }
      })
    },
    async grainsSharedWith (userId) {
      return redis.zrange(keys.grainsSharedWith(userId), 0, -1)
    },
    async removeGrain (grainId) {
      const [links, tokens, inbound] = await Promise.all([
        redis.hgetall(keys.links(grainId)), redis.hgetall(keys.apiTokens(grainId)), redis.hkeys(keys.inbound(grainId)),
      ])
      const linkRecords = Object.values(links).map((v) => decodeJson<LinkRecord>(v)).filter((r): r is LinkRecord => r !== undefined)
      const tokenRecords = Object.values(tokens).map((v) => decodeJson<TokenRecord>(v)).filter((r): r is TokenRecord => r !== undefined)
      const tx = redis.multi()
        .del(keys.sharingVersion(grainId), keys.shares(grainId), keys.links(grainId), keys.apiTokens(grainId), keys.inbound(grainId), keys.sharingAudit(grainId), keys.sharingChanges(grainId))
      for (const r of [...linkRecords, ...tokenRecords]) tx.del(keys.sharingSecret(r.secretHash))
      for (const r of linkRecords) tx.del(keys.linkRedeemers(grainId, r.id))
      for (const u of inbound) tx.zrem(keys.grainsSharedWith(u), grainId)
      // No version bump needed: with the grain record gone, every check that
      // reads Redis answers "not found"; the message tells caches to read it.
      tx.publish(changesChannel, grainChangeMessage(grainId))
      await tx.exec()
    },
  }
}

/** A change-log entry's fields (`k` kind, `i` id, `v` value or `''` for deleted). */
function decodeChange (flat: string[]): Change {
  const f = streamFields(flat)
  const id = f.i ?? ''
  const value = f.v ?? ''
  if (f.k === 'l') return value === '' ? { type: 'link', id } : { type: 'link', id, ...optional(decodeJson<LinkRecord>(value)) }
  if (f.k === 't') return value === '' ? { type: 'token', id } : { type: 'token', id, ...optional(decodeJson<TokenRecord>(value)) }
  return value === '' ? { type: 'edge', id } : { type: 'edge', id, ...optional(decodeEdge(id, value)) }
}

const optional = <T>(value: T | undefined): { value?: T } => value === undefined ? {} : { value }

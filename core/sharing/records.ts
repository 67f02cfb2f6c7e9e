/**
 * What the sharing store keeps, and how it is encoded in Redis. Edges are
 * tab-separated strings (a cold load parses tens of thousands of them, and a
 * split is several times faster than JSON); links and tokens are JSON.
 */
import { createHash } from 'node:crypto'
import type { Grant, GraphEdge, Principal } from './graph.js'

/**
 * - `share`: a user shared with a user;
 * - `link`: a user created a sharing link (edge user → link);
 * - `redeem`: a user opened a link (edge link → user);
 * - `token`: a user created an API token (edge user → token).
 */
export type EdgeKind = 'share' | 'link' | 'redeem' | 'token'
const EDGE_KINDS: readonly string[] = ['share', 'link', 'redeem', 'token']

export interface ShareEdge extends GraphEdge {
  kind: EdgeKind
  /** The user who wrote the edge (for `redeem`, the redeemer). */
  createdBy: string
  /** Milliseconds since the epoch. */
  createdAt: number
}

export interface LinkRecord {
  id: string
  grainId: string
  /** The user who created the link; the link holds (permissions ∩ what they hold). */
  createdBy: string
  createdAt: number
  permissions: Grant
  /** A role name to show (roles are only names for permission sets). */
  role?: string
  /** May visitors who are not logged in use it (if the app allows). */
  allowAnonymous: boolean
  /** Milliseconds since the epoch; absent = never. */
  expiresAt?: number
  /** The creator → link edge. */
  edgeId: string
  secretHash: string
}

export interface TokenRecord {
  id: string
  grainId: string
  /** The user the token acts as; it holds (permissions ∩ what they hold). */
  userId: string
  createdAt: number
  permissions: Grant
  label?: string
  expiresAt?: number
  /** The user → token edge. */
  edgeId: string
  secretHash: string
}

const ALL = '*'

export function encodeEdge (e: ShareEdge): string {
  const perms = e.permissions === 'all' ? ALL : e.permissions.join(',')
  return [e.kind, e.from, e.to, perms, e.createdBy, String(e.createdAt)].join('\t')
}

/** The edge, or undefined if the stored value is not one (never trusted blindly). */
export function decodeEdge (id: string, value: string): ShareEdge | undefined {
  const [kind, from, to, perms, createdBy, createdAt] = value.split('\t')
  if (kind === undefined || !EDGE_KINDS.includes(kind) || !from || !to || perms === undefined || createdBy === undefined) return undefined
  return {
    id,
    kind: kind as EdgeKind,
    from: from as Principal,
    to: to as Principal,
    permissions: perms === ALL ? 'all' : perms === '' ? [] : perms.split(','),
    createdBy,
    createdAt: Number(createdAt ?? 0),
  }
}

export function decodeJson<T> (value: string | undefined): T | undefined {
  if (value === undefined) return undefined
  try {
    return JSON.parse(value) as T
  } catch {
    return undefined
  }
}

/** Secrets are stored only as their SHA-256 (hex): a leaked database hands out no working link or token. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex')

/** True if the link or token has expired at `now`. */
export const expired = (r: { expiresAt?: number }, now: number): boolean => r.expiresAt !== undefined && r.expiresAt <= now

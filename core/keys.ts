/**
 * Every Redis key Granary uses, in one place. Nothing else spells a key.
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `user:<userId>` | hash | id, username, displayName, role (`user`/`admin`/`packager`), disabled (`0`/`1`), createdAt, plus login fields the proxy adds |
 * | `users:by-name` | hash | username → userId |
 * | `users:all` | zset | userId scored by createdAt |
 * | `grain:<grainId>` | hash | id, appId, appVersion, title, owner (userId), createdAt, lastUsedAt |
 * | `grains:owned:<userId>` | zset | grainIds owned by the user, scored by createdAt |
 * | `grains:all` | zset | every grainId, scored by createdAt |
 *
 * Sections for apps, shares, links, tokens, sessions and audit are added by
 * the modules that own them, below, each with its table.
 */

export const keys = {
  user: (userId: string) => `user:${userId}`,
  usersByName: () => 'users:by-name',
  usersAll: () => 'users:all',
  grain: (grainId: string) => `grain:${grainId}`,
  grainsOwned: (userId: string) => `grains:owned:${userId}`,
  grainsAll: () => 'grains:all',
} as const

/**
 * Proxy: login, sessions and grain access. Every secret that names a record
 * (session id, API token, handoff token) appears in a key only as its
 * SHA-256 (hex), so a copy of the database lets no one log in.
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `session:<sha256(id)>` | hash, TTL = idle timeout (capped by absolute expiry) | userId, kind (`shell`/`grain`), grainId, displayName, createdAt |
 * | `sessions:user:<userId>` | set | session key hashes of the user (all kinds), to end them all at once |
 * | `password:<userId>` | string | `scrypt$N$r$p$salt$hash` (base64url salt and hash) |
 * | `login-failures:addr:<address>` | string counter, TTL = window | failed logins from one address |
 * | `login-failures:user:<username>` | string counter, TTL = window | failed logins for one account |
 * | `admin-setup` | string | sha256 of the one-time admin setup token, while `admin` has no password |
 * | `oidc:identity:<issuer> <sub>` | string | userId the identity logs in as |
 * | `oidc:identities:<userId>` | hash | `<issuer> <sub>` → JSON {issuer, sub, provider, linkedAt} |
 * | `oidc:flow:<flowId>` | hash, TTL 10 min | provider, state, nonce, codeVerifier, next, linkTo (userId) |
 * | `api-token:<sha256(token)>` | hash | userId, name, createdAt |
 * | `api-tokens:user:<userId>` | set | token hashes of the user |
 * | `grain-handoff:<sha256(token)>` | string, TTL 60 s | JSON {userId, grainId, next}; deleted when used |
 * | `grain-perm-changes` | pub/sub channel | JSON {grainId} published when a grain's shares change |
 */
export const proxyKeys = {
  session: (idHash: string) => `session:${idHash}`,
  userSessions: (userId: string) => `sessions:user:${userId}`,
  password: (userId: string) => `password:${userId}`,
  loginFailuresByAddress: (address: string) => `login-failures:addr:${address}`,
  loginFailuresByAccount: (username: string) => `login-failures:user:${username}`,
  adminSetup: () => 'admin-setup',
  oidcIdentity: (issuer: string, sub: string) => `oidc:identity:${issuer} ${sub}`,
  userOidcIdentities: (userId: string) => `oidc:identities:${userId}`,
  oidcFlow: (flowId: string) => `oidc:flow:${flowId}`,
  apiToken: (tokenHash: string) => `api-token:${tokenHash}`,
  userApiTokens: (userId: string) => `api-tokens:user:${userId}`,
  grainHandoff: (tokenHash: string) => `grain-handoff:${tokenHash}`,
  grainPermissionChanges: () => 'grain-perm-changes',
} as const

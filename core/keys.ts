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
 *
 * Grain run state (control plane, `control-plane/run-state.ts`):
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `grain-run:<grainId>` | hash | state (`starting`/`running`/`paused`/`stopped`/`failed`), containerId, since (ms), reason |
 * | `grain-runs:live` | set | grainIds whose run state is `starting`, `running` or `paused` (what reconciliation checks after a crash) |
 * | `grain:<grainId>:*` | any | per-grain data of other modules (shares, links, ...): everything under `grainScope(grainId)` is deleted with the grain |
 *
 * Sections for apps, shares, links, tokens, sessions and audit are added by
 * the modules that own them, below, each with its table.
 *
 * ## Sharing (`core/sharing/`)
 *
 * Every write to a grain's sharing keys runs in one Lua script that also
 * INCRs the grain's sharing version and appends to its audit stream (and to
 * the installation's, `audit`), so a reader that sees a version sees every
 * write up to it and none after.
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `grain:<grainId>:sharing:version` | string | counter, INCR'd by every sharing write (absent = 0) |
 * | `grain:<grainId>:shares` | hash | edgeId → `kind⇥from⇥to⇥permissions⇥createdBy⇥createdAt` (tab-separated; kind `share`/`link`/`redeem`/`token`; from/to principals `user:<id>`, `link:<id>`, `token:<id>`; permissions `*` = all, else comma-separated ids) |
 * | `grain:<grainId>:links` | hash | linkId → JSON link record (creator, permissions, role, allowAnonymous, expiresAt, edgeId, secret hash) |
 * | `grain:<grainId>:link-redeemers:<linkId>` | hash | userId → edgeId of that user's `redeem` edge |
 * | `grain:<grainId>:tokens` | hash | tokenId → JSON API token record (user, permissions, label, expiresAt, edgeId, secret hash) |
 * | `grain:<grainId>:inbound` | hash | userId → number of edges ending at that user |
 * | `grain:<grainId>:audit` | stream | one entry per share, revoke, link create/redeem/revoke, token create/revoke: action, actor, ids, permissions, at, version (capped, approximate MAXLEN) |
 * | `grain:<grainId>:sharing:changes` | stream | ids `<version>-<n>`; one entry per record a write set or deleted: `k` (`e` edge, `l` link, `t` token), `i` id, `v` value (`''` = deleted); capped; lets a process catch up from its cached version without reloading the graph |
 * | `grains:shared-with:<userId>` | zset | grainIds where the user is the recipient of at least one edge, scored by first share time |
 * | `grain-changes` | pub/sub channel | `g:<grainId>` whenever a grain's shares, app version or existence change (published inside the write), and the barrier messages `b:<nonce>` / `a:<nonce>` (see `core/sharing/change-feed.ts`) |
 * | `grain-changes:members` | zset | processes on the grain-changes feed (random instance ids), scored by when their registration lapses (Redis clock, ms); a barrier waits for this many acknowledgements at least |
 * | `sharing:secret:<sha256 hex>` | string | `<grainId>:link:<linkId>` or `<grainId>:token:<tokenId>` for a link or API token secret (never stored in clear); expires with it |
 *
 * ## Apps (`core/apps.ts`)
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `app:<appId>` | hash | id, currentVersion, createdAt, updatedAt |
 * | `app:<appId>:versions` | hash | version → JSON `AppVersion` (manifest, imageRef, imageId, createdAt) |
 * | `apps:all` | zset | every appId, scored by createdAt |
 *
 * ## Audit (`core/audit.ts`)
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `audit` | stream | the installation's audit log, newest last: one entry per sharing write (appended by the same Lua script as `grain:<grainId>:audit`, plus `grain`), login and admin action (accounts, grain stop and delete); fields action, actor, at, grain, to and details (capped, approximate MAXLEN `AUDIT_MAX_LENGTH`); kept when a grain is deleted |
 */

export const keys = {
  user: (userId: string) => `user:${userId}`,
  usersByName: () => 'users:by-name',
  usersAll: () => 'users:all',
  grain: (grainId: string) => `grain:${grainId}`,
  grainsOwned: (userId: string) => `grains:owned:${userId}`,
  grainsAll: () => 'grains:all',

  sharingVersion: (grainId: string) => `grain:${grainId}:sharing:version`,
  shares: (grainId: string) => `grain:${grainId}:shares`,
  links: (grainId: string) => `grain:${grainId}:links`,
  linkRedeemers: (grainId: string, linkId: string) => `grain:${grainId}:link-redeemers:${linkId}`,
  apiTokens: (grainId: string) => `grain:${grainId}:tokens`,
  inbound: (grainId: string) => `grain:${grainId}:inbound`,
  sharingAudit: (grainId: string) => `grain:${grainId}:audit`,
  sharingChanges: (grainId: string) => `grain:${grainId}:sharing:changes`,
  /** A pub/sub channel: Redis applies no key prefix to it; `grainChangesChannel` (core/sharing/change-feed.ts) adds the client's. */
  grainChanges: () => 'grain-changes',
  grainChangesMembers: () => 'grain-changes:members',
  grainsSharedWith: (userId: string) => `grains:shared-with:${userId}`,
  sharingSecret: (secretHash: string) => `sharing:secret:${secretHash}`,
  app: (appId: string) => `app:${appId}`,
  appVersions: (appId: string) => `app:${appId}:versions`,
  appsAll: () => 'apps:all',
  audit: () => 'audit',
  grainRun: (grainId: string) => `grain-run:${grainId}`,
  grainRunsLive: () => 'grain-runs:live',
  /** Prefix of every per-grain key other modules keep (shares, links, ...); removed when the grain is deleted. */
  grainScope: (grainId: string) => `grain:${grainId}:`,
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
 * | `sessions-ended` | pub/sub channel | `s:<sha256(session id)>` or `u:<userId>`, published when sessions end (cached grain sessions are dropped) |
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
  sessionsEnded: () => 'sessions-ended',
} as const

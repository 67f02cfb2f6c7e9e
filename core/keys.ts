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
 */

export const keys = {
  user: (userId: string) => `user:${userId}`,
  usersByName: () => 'users:by-name',
  usersAll: () => 'users:all',
  grain: (grainId: string) => `grain:${grainId}`,
  grainsOwned: (userId: string) => `grains:owned:${userId}`,
  grainsAll: () => 'grains:all',
  grainRun: (grainId: string) => `grain-run:${grainId}`,
  grainRunsLive: () => 'grain-runs:live',
  /** Prefix of every per-grain key other modules keep (shares, links, ...); removed when the grain is deleted. */
  grainScope: (grainId: string) => `grain:${grainId}:`,
} as const

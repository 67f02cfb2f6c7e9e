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
 *
 * Apps (`./apps.ts`):
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `app:<appId>` | hash | id, currentVersion, createdAt, updatedAt |
 * | `app:<appId>:versions` | hash | version → JSON `AppVersion` (manifest, imageRef, imageId, createdAt) |
 * | `apps:all` | zset | every appId, scored by createdAt |
 */

export const keys = {
  user: (userId: string) => `user:${userId}`,
  usersByName: () => 'users:by-name',
  usersAll: () => 'users:all',
  grain: (grainId: string) => `grain:${grainId}`,
  grainsOwned: (userId: string) => `grains:owned:${userId}`,
  grainsAll: () => 'grains:all',
  app: (appId: string) => `app:${appId}`,
  appVersions: (appId: string) => `app:${appId}:versions`,
  appsAll: () => 'apps:all',
} as const

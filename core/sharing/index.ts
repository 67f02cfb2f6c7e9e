/**
 * Sharing: the share graph of each grain and who may do what with it.
 * Shared domain code: the proxy and the control plane both import it from here.
 *
 * Use (in a fastify app: `app.register(sharingPlugin, { appPermissions })` after
 * `redisPlugin`, then `app.sharing`; elsewhere construct it):
 *   const sharing = new SharingService({ redis, appPermissions: ({ appId, appVersion }) => manifestPermissionIds(appId, appVersion) })
 *   await sharing.userPermissions(grainId, userId)          // ['read', 'write'], manifest order: the X-Permissions value
 *   await sharing.share({ grainId, actor, to, permissions: ['read'] })   // or 'all', or rolePermissions(manifest, role)
 *   await sharing.revoke({ grainId, actor, edgeId })
 *   const { link, secret } = await sharing.createLink({ grainId, actor, permissions, role, allowAnonymous, expiresAt })
 *   await sharing.redeemLink({ secret, userId });  await sharing.resolveLink(secret)   // anonymous visitors
 *   const { token, secret } = await sharing.createToken({ grainId, actor, permissions, label, expiresAt })
 *   await sharing.resolveToken(secret)                     // Bearer requests
 *   await sharing.accessGraph(grainId, viewerId)           // GET /api/grains/:id/access
 *   await sharing.removeGrain(grainId)                     // after deleting the grain record
 *
 * Pure core (no Redis): `solve`, `effectivePermissions`, `accessPaths` in ./graph.ts.
 * Consistency guarantee: see ./snapshot.ts. Keys: core/keys.ts, "Sharing".
 */
export {
  accessPaths, effectivePermissions, linkPrincipal, parsePrincipal, solve, tokenPrincipal, userPrincipal,
  type Grant, type GraphEdge, type Principal, type PrincipalKind, type ShareGraph, type Solution,
} from './graph.js'
export { sharingPlugin, type SharingPluginOptions } from './plugin.js'
export { appPermissionIds, rolePermissions } from './roles.js'
export { hashSecret, type EdgeKind, type LinkRecord, type ShareEdge, type TokenRecord } from './records.js'
export { buildSnapshot, DEFAULT_CACHE_GRAINS, SnapshotCache, type AppPermissionsResolver, type GrainApp, type Snapshot } from './snapshot.js'
export { DEFAULT_AUDIT_MAX_LENGTH, redisSharingStore, type AuditEntry, type LoadedState, type SecretTarget, type SharingStore } from './store.js'
export {
  SharingService, type AccessEdge, type AccessGraph, type AccessPrincipal, type LinkAccess, type LinkInfo,
  type SharingServiceOptions, type TokenAccess, type TokenInfo,
} from './service.js'

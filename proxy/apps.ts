/**
 * What the proxy knows about installed apps: their current manifests, by id.
 * The proxy needs them for the app list, for role names when sharing, and
 * for the permission ids (in manifest order) that the share graph grants, on
 * every grain request: so lookups are synchronous, from memory. In
 * deployment the app store (`core/apps.ts`, written by the control plane) is
 * mirrored and refreshed every few seconds and on demand;
 * `staticAppDirectory` holds literal manifests (tests).
 */
import type { AppStore } from '../core/apps.js'
import type { Manifest } from '../core/manifest/schema.js'

export const DEFAULT_APPS_REFRESH_MS = 5_000

export interface AppDirectory {
  /** Every installed app, by name (fresh from the store). */
  list(): Promise<Manifest[]>
  /** The app's current manifest, or undefined. From memory; never throws. */
  get(appId: string): Manifest | undefined
  /** Re-reads the store now (e.g. before refusing an app id as unknown). */
  refresh(): Promise<void>
  /** Stops background refreshing. */
  close(): void
}

const byName = (ms: Iterable<Manifest>): Manifest[] => [...ms].sort((a, b) => a.name.localeCompare(b.name))

export function staticAppDirectory (manifests: readonly Manifest[]): AppDirectory {
  const byId = new Map(manifests.map((m) => [m.id, m]))
  return { list: async () => byName(byId.values()), get: (appId) => byId.get(appId), refresh: async () => {}, close: () => {} }
}

/** Mirrors the app store in memory. */
export async function storeAppDirectory (store: AppStore, refreshMs = DEFAULT_APPS_REFRESH_MS, onError: (err: unknown) => void = () => {}): Promise<AppDirectory> {
  let byId = new Map<string, Manifest>()
  const refresh = async (): Promise<void> => {
    byId = new Map((await store.list()).map((a) => [a.id, a.current.manifest]))
  }
  await refresh()
  const timer = setInterval(() => { refresh().catch(onError) }, refreshMs)
  timer.unref()
  return {
    async list () {
      await refresh()
      return byName(byId.values())
    },
    get: (appId) => byId.get(appId),
    refresh,
    close: () => clearInterval(timer),
  }
}

/** The app's permission ids in manifest order; none for an unknown app. */
export const appPermissionIds = (apps: AppDirectory, appId: string): string[] => apps.get(appId)?.permissions.map((p) => p.id) ?? []

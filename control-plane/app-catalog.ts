/**
 * What the control plane needs to know about apps: for an app id, its current
 * manifest and the image to run. The app store (`core/apps.ts`) implements this
 * in deployment; tests use `staticAppCatalog` with literal manifests.
 */
import type { Manifest } from '../core/manifest/schema.js'

export interface CatalogEntry {
  /** The app's current (newest installed) version's manifest. */
  manifest: Manifest
  /**
   * What Docker runs for that version: an image id (`sha256:...`) or a
   * reference (`granary/hello:local`). A grain whose container was made from
   * a different image, or for a different `manifest.version`, is recreated
   * from this one at its next start (its data is kept).
   */
  imageId: string
}

export interface AppCatalog {
  /** The app's current version, or undefined if no app has that id. Never throws for an unknown id. */
  get(appId: string): Promise<CatalogEntry | undefined>
}

/** An in-memory catalog (tests, fixtures). `set` replaces an app's entry, e.g. to publish a new version. */
export function staticAppCatalog (entries: CatalogEntry[] = []): AppCatalog & { set(entry: CatalogEntry): void } {
  const byId = new Map(entries.map((e) => [e.manifest.id, e]))
  return {
    async get (appId) { return byId.get(appId) },
    set (entry) { byId.set(entry.manifest.id, entry) },
  }
}

/** What `catalogFromAppStore` needs of an app store (`core/apps.ts`'s `AppStore` has it). */
export interface CurrentVersionSource {
  get(appId: string): Promise<{ current: { manifest: Manifest, imageId: string } } | undefined>
}

/** The catalog view of an app store: each app's current version. */
export function catalogFromAppStore (store: CurrentVersionSource): AppCatalog {
  return {
    async get (appId) {
      const app = await store.get(appId)
      return app === undefined ? undefined : { manifest: app.current.manifest, imageId: app.current.imageId }
    },
  }
}

/**
 * What the proxy knows about installed apps: their manifests, by id. The
 * proxy needs them for the app list, for role names when sharing, and for
 * the permission ids (in manifest order) that the share graph grants.
 * `staticAppDirectory` holds literal manifests (tests, and the manifests
 * directory loaded at start-up until an app store replaces it).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { Value } from '@sinclair/typebox/value'
import { ManifestSchema, type Manifest } from '../core/manifest/schema.js'

export interface AppDirectory {
  /** Every installed app, by name. */
  list(): Promise<Manifest[]>
  /** The app's current manifest, or undefined. Never throws for an unknown id. */
  get(appId: string): Manifest | undefined
}

export function staticAppDirectory (manifests: readonly Manifest[]): AppDirectory {
  const byId = new Map(manifests.map((m) => [m.id, m]))
  return {
    list: async () => [...byId.values()].sort((a, b) => a.name.localeCompare(b.name)),
    get: (appId) => byId.get(appId),
  }
}

/** The app's permission ids in manifest order; none for an unknown app. */
export const appPermissionIds = (apps: AppDirectory, appId: string): string[] => apps.get(appId)?.permissions.map((p) => p.id) ?? []

/** Loads every `*.yaml` manifest of a directory that passes the schema; reports the others through `onInvalid`. */
export function loadManifestDirectory (dir: string, onInvalid: (file: string, problem: string) => void): Manifest[] {
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  } catch {
    return []
  }
  return files.flatMap((f) => {
    try {
      const value: unknown = parse(readFileSync(join(dir, f), 'utf8'))
      if (Value.Check(ManifestSchema, value)) return [value]
      onInvalid(f, Value.Errors(ManifestSchema, value).First()?.message ?? 'invalid manifest')
    } catch (err) {
      onInvalid(f, (err as Error).message)
    }
    return []
  })
}

/**
 * Seeding: on start, the control plane registers the example apps from
 * `manifests/` whose images are in the engine and that are not registered
 * yet, so a fresh `npm start` has apps to create grains from. It never
 * touches a registered app, so a newer version published since stays current.
 * (An example app an admin removed comes back on the next start while its
 * manifest and image exist: delete the manifest file to keep it away.)
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type Docker from 'dockerode'
import type { FastifyBaseLogger } from 'fastify'
import type { AppStore } from '../core/apps.js'
import { describeProblem, formatOfFile, parseManifest } from '../core/manifest/validate.js'
import { resolveImage } from './images.js'

export interface SeedResult {
  /** App ids registered now. */
  seeded: string[]
  /** File → why it was not registered (already registered is not listed). */
  skipped: Record<string, string>
}

export async function seedApps (opts: { apps: AppStore, docker: Docker, dir: string, log?: FastifyBaseLogger }): Promise<SeedResult> {
  const result: SeedResult = { seeded: [], skipped: {} }
  let files: string[]
  try {
    files = readdirSync(opts.dir).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort()
  } catch {
    return result
  }
  for (const file of files) {
    const parsed = parseManifest(readFileSync(join(opts.dir, file), 'utf8'), formatOfFile(file))
    if (!parsed.ok) {
      result.skipped[file] = `invalid manifest: ${parsed.problems.map(describeProblem).join('; ')}`
      continue
    }
    const manifest = parsed.manifest
    if (await opts.apps.get(manifest.id) !== undefined) continue
    const imageId = await resolveImage(opts.docker, manifest.image)
    if (imageId === undefined) {
      result.skipped[file] = `image ${manifest.image} is not in the Docker engine`
      continue
    }
    const res = await opts.apps.addVersion({ version: manifest.version, manifest, imageRef: manifest.image, imageId, createdAt: Date.now() })
    if (res.ok) result.seeded.push(manifest.id)
  }
  if (result.seeded.length > 0) opts.log?.info({ apps: result.seeded }, 'example apps registered')
  for (const [file, reason] of Object.entries(result.skipped)) opts.log?.warn({ file, reason }, 'example app not registered')
  return result
}

/**
 * Image fixtures for app-publishing tests: a uniquely tagged copy of a local
 * image, saved as a `docker save` tarball, with the tag removed again so that
 * loading the tarball really has to create it. Cleaned up in `t.after`.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { TestContext } from 'node:test'
import { docker } from './docker.js'

export interface SavedImage {
  /** `granary-test-<run>/<name>:<version>`: the tag inside the tarball, absent from the engine until loaded. */
  ref: string
  /** Image id (the same as the source image's). */
  id: string
  tarPath: string
}

/** Removes a tag (never the image under another tag); succeeds silently if it is gone. */
export async function untag (ref: string): Promise<void> {
  await docker.getImage(ref).remove({ noprune: true }).catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 404 && err.statusCode !== 409) throw err
  })
}

export async function saveImageAs (t: TestContext, source: string, runId: string, name: string, version: string): Promise<SavedImage> {
  const repo = `granary-test-${runId}/${name}`
  const ref = `${repo}:${version}`
  const image = docker.getImage(source)
  const { Id: id } = await image.inspect()
  await image.tag({ repo, tag: version })
  t.after(() => untag(ref))
  const dir = mkdtempSync(join(tmpdir(), 'granary-image-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const tarPath = join(dir, `${name}-${version}.tar`)
  await pipeline(await docker.getImage(ref).get(), createWriteStream(tarPath))
  await untag(ref)
  return { ref, id, tarPath }
}
